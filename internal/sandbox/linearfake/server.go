// Package linearfake is an in-memory fake of the part of Linear's GraphQL
// API that goalpost writes to: projectUpdateCreate and
// initiativeUpdateCreate (with a client-supplied id; a duplicate id is an
// error, as a unique key is in Linear), projectUpdate(id:) /
// initiativeUpdate(id:) to read one back, and project(id:) /
// initiative(id:) with their lastUpdate and their projectUpdates /
// initiativeUpdates connection (first: N, default 50; newest first, see
// WithOldestFirst) to read the latest update. It behaves like Linear where
// goalpost depends on it: a personal API key in "Authorization: <key>" (no
// Bearer), GraphQL errors inside HTTP 200 (unknown entity, duplicate id),
// validation errors and RATELIMITED as HTTP 400, the X-RateLimit-Requests-*
// headers (reset in epoch milliseconds), and injectable faults (including a
// lost answer: the operation is carried out, the connection dropped).
// Requests are counted by operation.
//
// It is not a GraphQL server: it recognizes the operation by its root field,
// reads the "input" / "id" variables and a connection's first argument, and
// answers every field it knows whatever the selection, so callers must pass
// values as variables (as goalpost does), not inline, and not use aliases.
// It is safe for concurrent use.
package linearfake

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Server is the fake. Create it with New; serve it with httptest.NewServer.
type Server struct {
	key string
	now func() time.Time

	mu          sync.Mutex
	projects    map[string]string // id → name
	initiatives map[string]string
	teams       []string // team keys the key can see (viewer query)
	users       []User
	updates     map[string]*Update // by update id, both kinds
	order       []string
	counts      map[string]int
	faults      []*Fault
	remaining   int
	syncID      int
	oldestFirst bool
}

// Update is a project or initiative update as stored.
type Update struct {
	ID        string
	Kind      string // "project" or "initiative"
	ParentID  string // the project or initiative
	Body      string
	Health    string
	CreatedAt time.Time
}

// requestLimit is the hourly request budget the headers advertise.
const requestLimit = 2500

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock for createdAt and rate-limit resets.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithOldestFirst answers update connections oldest first. Linear documents
// that connections are ordered by createdAt but not in which direction; the
// fake's default is newest first, and this option lets tests check a client
// does not depend on it.
func WithOldestFirst() Option { return func(s *Server) { s.oldestFirst = true } }

// New returns an empty fake accepting the personal API key apiKey.
func New(apiKey string, opts ...Option) *Server {
	s := &Server{
		key: apiKey, now: time.Now, projects: map[string]string{}, initiatives: map[string]string{},
		updates: map[string]*Update{}, counts: map[string]int{}, remaining: requestLimit,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// AddProject adds a project the key can write to.
func (s *Server) AddProject(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.projects[id] = name
}

// AddTeam adds a team the key can see.
func (s *Server) AddTeam(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.teams = append(s.teams, key)
}

// User is a workspace member the key can see.
type User struct{ ID, Name, Email string }

// AddUser adds an active user.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = append(s.users, u)
}

// AddInitiative adds an initiative the key can write to.
func (s *Server) AddInitiative(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initiatives[id] = name
}

// AddUpdate stores u as if someone had posted it (a person, another tool):
// its Kind follows its ParentID, an empty ID is generated, a zero CreatedAt
// is now. It returns the id.
func (s *Server) AddUpdate(u Update) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u.Kind = "initiative"
	if _, ok := s.projects[u.ParentID]; ok {
		u.Kind = "project"
	}
	if u.ID == "" {
		u.ID = uuid.NewString()
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = s.now()
	}
	s.updates[u.ID] = &u
	s.order = append(s.order, u.ID)
	return u.ID
}

// Updates returns the updates of a project or initiative in the order they
// were stored (created or added).
func (s *Server) Updates(parentID string) []Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Update
	for _, id := range s.order {
		if u := s.updates[id]; u.ParentID == parentID {
			out = append(out, *u)
		}
	}
	return out
}

// Requests returns how many requests each operation received (by root
// field, e.g. "projectUpdateCreate"; "unauthenticated" and "invalid" for
// requests rejected before that), failed ones included.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// Fault is an injected failure answered instead of the operation.
type Fault struct {
	Operation string // root field to match; "" matches any
	// Kind is "ratelimited" (HTTP 400, code RATELIMITED, headers exhausted),
	// "internal" (HTTP 200 with an INTERNAL_ERROR GraphQL error), "http" (a
	// bare HTTP Status, e.g. 503), or "lost" (the operation is carried out,
	// then the connection is dropped without an answer).
	Kind    string
	Status  int           // for "http"
	ResetIn time.Duration // for "ratelimited": when the budget resets (default 1s)
	Times   int           // default 1
}

// Inject queues f; faults are consumed in order.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// RateLimitNext answers the next n requests with RATELIMITED (HTTP 400),
// the budget resetting after resetIn.
func (s *Server) RateLimitNext(n int, resetIn time.Duration) {
	s.Inject(Fault{Kind: "ratelimited", ResetIn: resetIn, Times: n})
}

var rootField = regexp.MustCompile(`\b(projectUpdateCreate|initiativeUpdateCreate|projectUpdate|initiativeUpdate|project|initiative)\s*\(|\b(viewer)\s*\{|\b(teams)\s*\(`)

type request struct {
	Query     string                     `json:"query"`
	Variables map[string]json.RawMessage `json:"variables"`
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &answer{w: w, s: s}
	if r.Method != http.MethodPost {
		s.counts["invalid"]++
		a.http(http.StatusMethodNotAllowed)
		return
	}
	if r.Header.Get("Authorization") != s.key || s.key == "" {
		s.counts["unauthenticated"]++
		a.errors(http.StatusBadRequest, gqlErr("Authentication required, not authenticated", "authentication error",
			"AUTHENTICATION_ERROR", "You need to authenticate to access this operation."))
		return
	}
	var req request
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(body, &req); err != nil || req.Query == "" {
		s.counts["invalid"]++
		a.errors(http.StatusBadRequest, gqlErr("Must provide query string.", "graphql error", "GRAPHQL_PARSE_FAILED", ""))
		return
	}
	m := rootField.FindStringSubmatch(req.Query)
	if m == nil {
		s.counts["invalid"]++
		a.errors(http.StatusBadRequest, gqlErr("Cannot query field: linearfake supports only project/initiative updates.",
			"graphql error", "GRAPHQL_VALIDATION_FAILED", ""))
		return
	}
	op := m[1] + m[2] + m[3]
	s.counts[op]++
	f := s.takeFault(op)
	if f != nil && f.Kind != "lost" {
		a.fault(f)
		return
	}
	s.remaining = max(s.remaining-1, 0)
	if f != nil {
		s.dispatch(&answer{w: &discard{h: http.Header{}}, s: s}, op, req)
		a.drop()
		return
	}
	s.dispatch(a, op, req)
}

func (s *Server) dispatch(a *answer, op string, req request) {
	vars := req.Variables
	switch op {
	case "projectUpdateCreate":
		s.create(a, op, "project", "projectId", s.projects, vars)
	case "initiativeUpdateCreate":
		s.create(a, op, "initiative", "initiativeId", s.initiatives, vars)
	case "projectUpdate", "initiativeUpdate":
		s.read(a, op, vars)
	case "project":
		s.parent(a, op, s.projects, req)
	case "initiative":
		s.parent(a, op, s.initiatives, req)
	case "viewer": // the key's user and the teams it sees
		nodes := []any{}
		for _, k := range s.teams {
			nodes = append(nodes, map[string]any{"key": k})
		}
		a.data(map[string]any{"viewer": map[string]any{"id": "user-goalpost"}, "teams": map[string]any{"nodes": nodes}})
	case "teams": // goalpost init's discovery: teams, projects and users
		s.discovery(a)
	}
}

// discovery answers the teams, projects (by id) and users the key sees.
func (s *Server) discovery(a *answer) {
	teams, projects, users := []any{}, []any{}, []any{}
	for _, k := range s.teams {
		teams = append(teams, map[string]any{"key": k, "name": k})
	}
	for _, id := range slices.Sorted(maps.Keys(s.projects)) {
		projects = append(projects, map[string]any{"id": id, "name": s.projects[id]})
	}
	for _, u := range s.users {
		users = append(users, map[string]any{"id": u.ID, "name": u.Name, "email": u.Email, "active": true})
	}
	a.data(map[string]any{"teams": map[string]any{"nodes": teams}, "projects": map[string]any{"nodes": projects},
		"users": map[string]any{"nodes": users}})
}

func (s *Server) takeFault(op string) *Fault {
	for i, f := range s.faults {
		if f.Operation == "" || f.Operation == op {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			cp := *f
			return &cp
		}
	}
	return nil
}

// answer writes one response with the rate-limit headers.
type answer struct {
	w http.ResponseWriter
	s *Server
}

func (a *answer) headers(remaining int, reset time.Time) {
	h := a.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-RateLimit-Requests-Limit", strconv.Itoa(requestLimit))
	h.Set("X-RateLimit-Requests-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Requests-Reset", strconv.FormatInt(reset.UnixMilli(), 10))
}

func (a *answer) json(status int, v any) {
	a.headers(a.s.remaining, a.s.now().Add(time.Hour))
	a.w.WriteHeader(status)
	_ = json.NewEncoder(a.w).Encode(v)
}

func (a *answer) data(v any) { a.json(http.StatusOK, map[string]any{"data": v}) }

func (a *answer) errors(status int, errs ...map[string]any) {
	a.json(status, map[string]any{"data": nil, "errors": errs})
}

func (a *answer) http(status int) {
	a.headers(a.s.remaining, a.s.now().Add(time.Hour))
	a.w.WriteHeader(status)
	_, _ = fmt.Fprintf(a.w, "%d %s", status, http.StatusText(status))
}

// drop closes the connection without an answer (a lost response); where
// that is impossible it answers 502.
func (a *answer) drop() {
	if hj, ok := a.w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	a.http(http.StatusBadGateway)
}

// discard is the ResponseWriter of an operation whose answer is lost.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func (a *answer) fault(f *Fault) {
	switch f.Kind {
	case "ratelimited":
		reset := f.ResetIn
		if reset <= 0 {
			reset = time.Second
		}
		a.headers(0, a.s.now().Add(reset))
		a.w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(a.w).Encode(map[string]any{"data": nil, "errors": []any{gqlErr("Rate limit exceeded",
			"ratelimited", "RATELIMITED", "You have exceeded the API rate limit. Please try again later.")}})
	case "internal":
		a.errors(http.StatusOK, gqlErr("Internal server error", "internal error", "INTERNAL_ERROR", "An unexpected error happened."))
	default:
		a.http(f.Status)
	}
}

func gqlErr(msg, typ, code, user string) map[string]any {
	ext := map[string]any{"type": typ, "code": code}
	if user != "" {
		ext["userPresentableMessage"] = user
	}
	return map[string]any{"message": msg, "extensions": ext}
}
