package linearfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

var healths = map[string]bool{"onTrack": true, "atRisk": true, "offTrack": true}

type updateInput struct {
	ID           *string `json:"id"`
	ProjectID    string  `json:"projectId"`
	InitiativeID string  `json:"initiativeId"`
	Body         *string `json:"body"`
	Health       *string `json:"health"`
	IsDiffHidden *bool   `json:"isDiffHidden"`
}

// create handles projectUpdateCreate / initiativeUpdateCreate.
func (s *Server) create(a *answer, op, kind, parentKey string, parents map[string]string, vars map[string]json.RawMessage) {
	var in updateInput
	if err := json.Unmarshal(vars["input"], &in); err != nil {
		a.errors(http.StatusBadRequest, gqlErr(`Variable "$input" of required type "`+typeName(kind)+`CreateInput!" was not provided.`,
			"graphql error", "GRAPHQL_VALIDATION_FAILED", ""))
		return
	}
	if in.Health != nil && !healths[*in.Health] {
		a.errors(http.StatusBadRequest, gqlErr(fmt.Sprintf(`Variable "$input" got invalid value %q at "input.health"; Value %q does not exist in "%sHealthType" enum.`,
			*in.Health, *in.Health, typeName(kind)), "graphql error", "GRAPHQL_VALIDATION_FAILED", ""))
		return
	}
	parent := in.ProjectID
	if kind == "initiative" {
		parent = in.InitiativeID
	}
	if _, ok := parents[parent]; !ok {
		a.errors(http.StatusOK, notFound(title(kind)))
		return
	}
	id := uuid.NewString()
	if in.ID != nil {
		// The schema documents the input id as a UUID v4; the fake enforces it.
		if u, err := uuid.Parse(*in.ID); err != nil || u.Version() != 4 {
			a.errors(http.StatusOK, gqlErr("Argument Validation Error", "invalid input", "INVALID_INPUT", "id must be a UUID v4."))
			return
		}
		id = strings.ToLower(*in.ID)
	}
	if _, dup := s.updates[id]; dup {
		a.errors(http.StatusOK, gqlErr("duplicate key value violates unique constraint", "invalid input", "INVALID_INPUT",
			"An entity with this id already exists."))
		return
	}
	u := &Update{ID: id, Kind: kind, ParentID: parent, Body: deref(in.Body), Health: deref(in.Health), CreatedAt: s.now()}
	s.updates[id] = u
	s.order = append(s.order, id)
	s.syncID++
	a.data(map[string]any{op: map[string]any{"success": true, "lastSyncId": s.syncID, typeField(kind): render(u)}})
}

// read handles projectUpdate(id:) / initiativeUpdate(id:).
func (s *Server) read(a *answer, op string, vars map[string]json.RawMessage) {
	var id string
	if err := json.Unmarshal(vars["id"], &id); err != nil {
		a.errors(http.StatusBadRequest, gqlErr(`Variable "$id" of required type "String!" was not provided.`, "graphql error", "GRAPHQL_VALIDATION_FAILED", ""))
		return
	}
	kind := strings.TrimSuffix(op, "Update")
	u, ok := s.updates[strings.ToLower(id)]
	if !ok || u.Kind != kind {
		a.errors(http.StatusOK, notFound(typeName(kind)))
		return
	}
	a.data(map[string]any{op: render(u)})
}

// parent handles project(id:) / initiative(id:): the entity with its
// lastUpdate (the newest update, or null) and its updates connection.
func (s *Server) parent(a *answer, kind string, names map[string]string, req request) {
	var id string
	if err := json.Unmarshal(req.Variables["id"], &id); err != nil {
		a.errors(http.StatusBadRequest, gqlErr(`Variable "$id" of required type "String!" was not provided.`, "graphql error", "GRAPHQL_VALIDATION_FAILED", ""))
		return
	}
	name, ok := names[id]
	if !ok {
		a.errors(http.StatusOK, notFound(title(kind)))
		return
	}
	newest := s.newestFirst(id)
	var last any
	if len(newest) > 0 {
		last = render(newest[0])
	}
	conn := newest
	if s.oldestFirst {
		conn = slices.Clone(newest)
		slices.Reverse(conn)
	}
	first := min(connFirst(req.Query, req.Variables), len(conn))
	nodes := make([]any, 0, first)
	for _, u := range conn[:first] {
		nodes = append(nodes, render(u))
	}
	end := ""
	if first > 0 {
		end = conn[first-1].ID
	}
	a.data(map[string]any{kind: map[string]any{
		"id": id, "name": name, "lastUpdate": last,
		typeField(kind) + "s": map[string]any{"nodes": nodes, "pageInfo": map[string]any{"hasNextPage": first < len(conn), "endCursor": end}},
	}})
}

// newestFirst returns the updates of a project or initiative by createdAt,
// newest first (the later created first among equal times).
func (s *Server) newestFirst(parentID string) []*Update {
	var out []*Update
	for _, id := range slices.Backward(s.order) {
		if u := s.updates[id]; u.ParentID == parentID {
			out = append(out, u)
		}
	}
	slices.SortStableFunc(out, func(a, b *Update) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out
}

var firstArg = regexp.MustCompile(`(?:project|initiative)Updates\s*\([^)]*\bfirst:\s*(\d+|\$\w+)`)

// connFirst reads the first argument of the updates connection in query,
// literal or variable; Linear's default page is 50.
func connFirst(query string, vars map[string]json.RawMessage) int {
	m := firstArg.FindStringSubmatch(query)
	if m == nil {
		return 50
	}
	if v, ok := strings.CutPrefix(m[1], "$"); ok {
		var n int
		if json.Unmarshal(vars[v], &n) != nil {
			return 50
		}
		return max(n, 0)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func render(u *Update) map[string]any {
	return map[string]any{
		"id": u.ID, "body": u.Body, "health": u.Health, "createdAt": u.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"),
		"url":  fmt.Sprintf("https://linear.app/acme/%s/%s/updates#%s", u.Kind, u.ParentID, u.ID),
		u.Kind: map[string]any{"id": u.ParentID},
	}
}

func notFound(entity string) map[string]any {
	return gqlErr("Entity not found: "+entity, "invalid input", "INVALID_INPUT", "Could not find referenced "+entity+".")
}

// typeName is "ProjectUpdate" / "InitiativeUpdate".
func typeName(kind string) string { return title(kind) + "Update" }

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// typeField is "projectUpdate" / "initiativeUpdate".
func typeField(kind string) string { return kind + "Update" }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
