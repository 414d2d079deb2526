package linear

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/pipeline/event"
)

// linearFake behaves like Linear's GraphQL API for the poller's queries:
// API-key auth without Bearer (errors otherwise), updatedAt filters, team
// filters (an issue's team; a project's teams, through accessibleTeams.some,
// rejecting filter fields the schema lacks), Relay pagination with
// first/after, newest-first order, and RATELIMITED errors in an HTTP 400
// with the reset headers. A project row's "teams" (a list of team keys) is
// the fake's own data: the poller does not read it.
type linearFake struct {
	mu          sync.Mutex
	key         string
	now         time.Time
	issues      []map[string]any
	projects    []map[string]any
	rateLimited int // RATELIMITED answers still to give
	calls       int
	filters     []map[string]any
	firsts      []int
}

func (f *linearFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != f.key {
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"errors":[{"message":"Authentication required, not authenticated","extensions":{"code":"AUTHENTICATION_ERROR","type":"authentication error","userPresentableMessage":"You need to authenticate to access this operation."}}]}`))
		return
	}
	if f.rateLimited > 0 {
		f.rateLimited--
		w.Header().Set("X-RateLimit-Requests-Remaining", "0")
		w.Header().Set("X-RateLimit-Requests-Reset", strconv.FormatInt(f.now.Add(5*time.Second).UnixMilli(), 10))
		w.WriteHeader(400)
		_, _ = w.Write([]byte(rateLimitedBody))
		return
	}
	var req struct {
		Query     string `json:"query"`
		Variables struct {
			ID     string         `json:"id"`
			Filter map[string]any `json:"filter"`
			First  int            `json:"first"`
			After  *string        `json:"after"`
		} `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"errors":[{"message":"bad request"}]}`))
		return
	}
	if strings.Contains(req.Query, "GoalpostIssue(") {
		f.issue(w, req.Variables.ID)
		return
	}
	f.filters = append(f.filters, req.Variables.Filter)
	f.firsts = append(f.firsts, req.Variables.First)
	field, rows, teamsOf := "issues", f.issues, issueTeams
	if strings.Contains(req.Query, "GoalpostProjects") {
		field, rows, teamsOf = "projects", f.projects, projectTeams
		if msg := invalidProjectFilter(req.Variables.Filter); msg != "" {
			_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": msg,
				"extensions": map[string]any{"code": "GRAPHQL_VALIDATION_FAILED", "type": "graphql error"}}}})
			return
		}
	}
	rows = f.filter(rows, req.Variables.Filter, teamsOf)
	start := 0
	if req.Variables.After != nil {
		start, _ = strconv.Atoi(strings.TrimPrefix(*req.Variables.After, "cur-"))
	}
	end := min(start+req.Variables.First, len(rows))
	page := map[string]any{"nodes": rows[start:end], "pageInfo": map[string]any{"hasNextPage": end < len(rows), "endCursor": "cur-" + strconv.Itoa(end)}}
	_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{field: page}})
}

// issue answers issue(id:) as Linear does: the issue, or "Entity not
// found" (an INVALID_INPUT error in an HTTP 200 with null data).
func (f *linearFake) issue(w http.ResponseWriter, id string) {
	for _, row := range f.issues {
		if row["id"] == id {
			_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"issue": row}})
			return
		}
	}
	_, _ = w.Write([]byte(`{"data":null,"errors":[{"message":"Entity not found: Issue","extensions":{"type":"invalid input","code":"INVALID_INPUT","userPresentableMessage":"Could not find referenced Issue."}}]}`))
}

// teamFilter reads the team keys a filter asks for (nil: any team) and the
// team keys a row belongs to.
type teamFilter struct {
	want func(filter map[string]any) []any
	of   func(row map[string]any) []any
}

var (
	issueTeams = teamFilter{
		want: func(f map[string]any) []any { v, _ := dig(f, "team", "key", "in").([]any); return v },
		of:   func(row map[string]any) []any { return []any{dig(row, "team", "key")} },
	}
	projectTeams = teamFilter{
		want: func(f map[string]any) []any { v, _ := dig(f, "accessibleTeams", "some", "key", "in").([]any); return v },
		of:   func(row map[string]any) []any { v, _ := row["teams"].([]any); return v },
	}
)

// invalidProjectFilter is the validation error Linear gives for an
// accessibleTeams filter with a field TeamCollectionFilter lacks ("" when
// valid).
func invalidProjectFilter(filter map[string]any) string {
	at, _ := filter["accessibleTeams"].(map[string]any)
	for k := range at {
		if !slices.Contains([]string{"and", "or", "some", "every", "id", "length", "createdAt", "updatedAt"}, k) {
			return `Field "` + k + `" is not defined by type "TeamCollectionFilter".`
		}
	}
	return ""
}

// filter applies updatedAt.gte and the team keys asked for, newest first.
func (f *linearFake) filter(rows []map[string]any, filter map[string]any, teams teamFilter) []map[string]any {
	gte, _ := time.Parse(time.RFC3339Nano, dig(filter, "updatedAt", "gte").(string))
	want := teams.want(filter)
	var out []map[string]any
	for _, row := range rows {
		up, _ := time.Parse(time.RFC3339Nano, row["updatedAt"].(string))
		if up.Before(gte) {
			continue
		}
		if want != nil && !slices.ContainsFunc(teams.of(row), func(k any) bool { return slices.Contains(want, k) }) {
			continue
		}
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b map[string]any) int {
		return -strings.Compare(a["updatedAt"].(string), b["updatedAt"].(string))
	})
	return out
}

func dig(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// recPublisher records published events by ID; fail makes Publish fail.
type recPublisher struct {
	mu    sync.Mutex
	fail  error
	calls int
	byID  map[string]event.Event
}

func (p *recPublisher) Publish(_ context.Context, evs ...event.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.fail != nil {
		return p.fail
	}
	if p.byID == nil {
		p.byID = map[string]event.Event{}
	}
	for _, ev := range evs {
		if err := ev.Validate(); err != nil {
			return err
		}
		if _, ok := p.byID[ev.ID]; !ok {
			p.byID[ev.ID] = ev
		}
	}
	return nil
}

func (p *recPublisher) ids() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ids []string
	for id := range p.byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (p *recPublisher) events() []event.Event {
	var out []event.Event
	for _, id := range p.ids() {
		out = append(out, p.byID[id])
	}
	return out
}

type linearHarness struct {
	fake  *linearFake
	srv   *httptest.Server
	pub   *recPublisher
	store *store.Store
	src   *Source
	waits []time.Duration
}

var lt0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newLinearHarness(t *testing.T, fake *linearFake, mod func(*Config)) *linearHarness {
	t.Helper()
	h := &linearHarness{fake: fake, pub: &recPublisher{}}
	h.srv = httptest.NewServer(fake)
	t.Cleanup(h.srv.Close)
	log := slog.New(slog.DiscardHandler)
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "goalpost.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h.store = st
	cfg := &Config{BaseURL: h.srv.URL, APIKey: "lin_api_poll_key", WebhookSecret: "lin-hook-secret-value", Teams: []string{"ENG"}}
	if mod != nil {
		mod(cfg)
	}
	clock := func() time.Time { return fake.now }
	var mu sync.Mutex
	h.src, err = NewSource(cfg, h.pub, st, log, WithClock(clock), WithClientOptions(
		WithBaseTransport(h.srv.Client().Transport),
		WithTransportOptions(transport.Options{Now: clock, Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			h.waits = append(h.waits, d)
			mu.Unlock()
			return ctx.Err()
		}})))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *linearHarness) cursor(t *testing.T, key string) string {
	t.Helper()
	v, err := h.store.Cursor(t.Context(), event.SourceLinear, key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// linIssue builds an issue node as the issues query returns it.
func linIssue(id string, number int, stateType, stateName string, created, updated time.Time, extra map[string]any) map[string]any {
	m := map[string]any{
		"id": id, "identifier": "ENG-" + strconv.Itoa(number), "number": number, "title": "Issue " + strconv.Itoa(number),
		"url":       "https://linear.app/acme/issue/ENG-" + strconv.Itoa(number),
		"createdAt": iso(created), "updatedAt": iso(updated), "startedAt": nil, "completedAt": nil, "canceledAt": nil,
		"estimate": nil, "priorityLabel": "High",
		"state":   map[string]any{"id": "st-" + stateType, "name": stateName, "type": stateType},
		"team":    map[string]any{"id": "team-eng", "key": "ENG"},
		"project": nil, "cycle": nil, "assignee": map[string]any{"id": "user-ada"}, "creator": map[string]any{"id": "user-bob"},
		"parent": nil, "labels": map[string]any{"nodes": []any{}}, "relations": map[string]any{"nodes": []any{}},
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}
