package linearfake_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/linearfake"
)

const key = "lin_api_fake"

var now = time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)

const create = `mutation($input: ProjectUpdateCreateInput!) { projectUpdateCreate(input: $input) { success projectUpdate { id } } }`

type reply struct {
	status int
	header http.Header
	body   struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
				Type string `json:"type"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	raw string
}

func post(t *testing.T, srv *httptest.Server, auth, query string, vars map[string]any) reply {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/graphql", strings.NewReader(string(b)))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func input(id, health string) map[string]any {
	return map[string]any{"input": map[string]any{"id": id, "projectId": "p1", "body": "**hi**", "health": health}}
}

func TestFake(t *testing.T) {
	fake := linearfake.New(key, linearfake.WithClock(func() time.Time { return now }))
	fake.AddProject("p1", "Passkeys")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	const id = "0b6f0d7e-3c1a-4e8b-9f2d-4a5b6c7d8e9f"
	tests := []struct {
		name   string
		auth   string
		query  string
		vars   map[string]any
		status int
		code   string // of the first GraphQL error, "" for none
	}{
		{"Bearer is not how API keys are sent", "Bearer " + key, create, input(id, "onTrack"), 400, "AUTHENTICATION_ERROR"},
		{"create", key, create, input(id, "onTrack"), 200, ""},
		{"duplicate id: error inside HTTP 200", key, create, input(id, "atRisk"), 200, "INVALID_INPUT"},
		{"a v5 id: Linear documents v4", key, create, input("2b6f0d7e-3c1a-5e8b-9f2d-4a5b6c7d8e9f", "onTrack"), 200, "INVALID_INPUT"},
		{"bad health enum", key, create, input("1b6f0d7e-3c1a-4e8b-9f2d-4a5b6c7d8e9f", "on_track"), 400, "GRAPHQL_VALIDATION_FAILED"},
		{"unknown project: error inside HTTP 200", key, create,
			map[string]any{"input": map[string]any{"projectId": "nope", "body": "x", "health": "onTrack"}}, 200, "INVALID_INPUT"},
		{"read back", key, `query($id: String!) { projectUpdate(id: $id) { id } }`, map[string]any{"id": id}, 200, ""},
		{"read back unknown", key, `query($id: String!) { projectUpdate(id: $id) { id } }`, map[string]any{"id": "x"}, 200, "INVALID_INPUT"},
		{"unsupported query", key, `{ cycles { nodes { id } } }`, nil, 400, "GRAPHQL_VALIDATION_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, srv, tt.auth, tt.query, tt.vars)
			code := ""
			if len(r.body.Errors) > 0 {
				code = r.body.Errors[0].Extensions.Code
			}
			if r.status != tt.status || code != tt.code {
				t.Errorf("got %d %s", r.status, r.raw)
			}
			if r.header.Get("X-RateLimit-Requests-Limit") == "" {
				t.Error("no rate-limit headers")
			}
		})
	}
	ups := fake.Updates("p1")
	if len(ups) != 1 || ups[0].ID != id || ups[0].Health != "onTrack" || ups[0].Body != "**hi**" || !ups[0].CreatedAt.Equal(now) {
		t.Errorf("updates = %+v", ups)
	}
	if got := fake.Requests(); got["projectUpdateCreate"] != 5 || got["projectUpdate"] != 2 || got["unauthenticated"] != 1 || got["invalid"] != 1 {
		t.Errorf("requests = %v", got)
	}
}

func TestFakeFaults(t *testing.T) {
	fake := linearfake.New(key, linearfake.WithClock(func() time.Time { return now }))
	fake.AddProject("p1", "Passkeys")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	fake.RateLimitNext(1, 90*time.Second)
	fake.Inject(linearfake.Fault{Kind: "internal"})
	fake.Inject(linearfake.Fault{Kind: "http", Status: 503})
	r := post(t, srv, key, create, input("0b6f0d7e-3c1a-4e8b-9f2d-4a5b6c7d8e9f", "onTrack"))
	reset, _ := strconv.ParseInt(r.header.Get("X-RateLimit-Requests-Reset"), 10, 64)
	if r.status != 400 || r.body.Errors[0].Extensions.Code != "RATELIMITED" ||
		r.header.Get("X-RateLimit-Requests-Remaining") != "0" || time.UnixMilli(reset).Sub(now) != 90*time.Second {
		t.Errorf("ratelimited: %d %v %s", r.status, r.header, r.raw)
	}
	if r := post(t, srv, key, create, input("0b6f0d7e-3c1a-4e8b-9f2d-4a5b6c7d8e9f", "onTrack")); r.status != 200 || r.body.Errors[0].Extensions.Code != "INTERNAL_ERROR" {
		t.Errorf("internal: %d %s", r.status, r.raw)
	}
	if r := post(t, srv, key, create, input("0b6f0d7e-3c1a-4e8b-9f2d-4a5b6c7d8e9f", "onTrack")); r.status != 503 {
		t.Errorf("503: %d", r.status)
	}
	if r := post(t, srv, key, create, input("0b6f0d7e-3c1a-4e8b-9f2d-4a5b6c7d8e9f", "onTrack")); r.status != 200 || len(r.body.Errors) != 0 {
		t.Errorf("after faults: %d %s", r.status, r.raw)
	}
}

const latest = `query($id: String!) { project(id: $id) {
  lastUpdate { id health createdAt }
  projectUpdates(first: 1, orderBy: createdAt) { nodes { id health createdAt } }
} }`

func TestFakeLatestUpdate(t *testing.T) {
	type node struct {
		ID     string `json:"id"`
		Health string `json:"health"`
	}
	type parent struct {
		LastUpdate        *node                  `json:"lastUpdate"`
		ProjectUpdates    struct{ Nodes []node } `json:"projectUpdates"`
		InitiativeUpdates struct{ Nodes []node } `json:"initiativeUpdates"`
	}
	tests := []struct {
		name      string
		opts      []linearfake.Option
		query     string
		vars      map[string]any
		code      string // of the first GraphQL error, "" for none
		last      string // lastUpdate's health, "" for null
		nodes     string // the connection's healths
		operation string // counted as
	}{
		{name: "newest first by default", query: latest, vars: map[string]any{"id": "p1"}, last: "atRisk", nodes: "[atRisk]", operation: "project"},
		{name: "oldest first when asked", opts: []linearfake.Option{linearfake.WithOldestFirst()}, query: latest, vars: map[string]any{"id": "p1"},
			last: "atRisk", nodes: "[onTrack]", operation: "project"},
		{name: "first as a variable", query: `query($id: String!, $n: Int) { project(id: $id) { projectUpdates(first: $n) { nodes { id health } } } }`,
			vars: map[string]any{"id": "p1", "n": 5}, last: "atRisk", nodes: "[atRisk onTrack]", operation: "project"},
		{name: "initiative without updates", query: `query($id: String!) { initiative(id: $id) { lastUpdate { id } initiativeUpdates(first: 1) { nodes { id } } } }`,
			vars: map[string]any{"id": "i1"}, nodes: "[]", operation: "initiative"},
		{name: "unknown project: error inside HTTP 200", query: latest, vars: map[string]any{"id": "nope"}, code: "INVALID_INPUT", operation: "project"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := now
			fake := linearfake.New(key, append(tt.opts, linearfake.WithClock(func() time.Time { return clock }))...)
			fake.AddProject("p1", "Passkeys")
			fake.AddInitiative("i1", "Secure accounts")
			srv := httptest.NewServer(fake)
			defer srv.Close()
			post(t, srv, key, create, input("0b6f0d7e-3c1a-4e8b-9f2d-4a5b6c7d8e9f", "onTrack"))
			clock = clock.Add(time.Hour)
			post(t, srv, key, create, input("1b6f0d7e-3c1a-4e8b-9f2d-4a5b6c7d8e9f", "atRisk"))
			r := post(t, srv, key, tt.query, tt.vars)
			code := ""
			if len(r.body.Errors) > 0 {
				code = r.body.Errors[0].Extensions.Code
			}
			if r.status != 200 || code != tt.code {
				t.Fatalf("got %d %s", r.status, r.raw)
			}
			if got := fake.Requests()[tt.operation]; got != 1 {
				t.Errorf("%s requests = %d, want 1", tt.operation, got)
			}
			if tt.code != "" {
				return
			}
			var p parent
			for _, raw := range r.body.Data {
				if err := json.Unmarshal(raw, &p); err != nil {
					t.Fatal(err)
				}
			}
			var healths []string
			for _, n := range append(p.ProjectUpdates.Nodes, p.InitiativeUpdates.Nodes...) {
				healths = append(healths, n.Health)
			}
			last := ""
			if p.LastUpdate != nil {
				last = p.LastUpdate.Health
			}
			if last != tt.last || fmt.Sprint(healths) != tt.nodes {
				t.Errorf("lastUpdate %q, nodes %v; want %q, %s\n%s", last, healths, tt.last, tt.nodes, r.raw)
			}
		})
	}
}

func TestFakeLostAnswer(t *testing.T) {
	fake := linearfake.New(key, linearfake.WithClock(func() time.Time { return now }))
	fake.AddProject("p1", "Passkeys")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	fake.Inject(linearfake.Fault{Operation: "projectUpdateCreate", Kind: "lost"})
	b, _ := json.Marshal(map[string]any{"query": create, "variables": input("0b6f0d7e-3c1a-4e8b-9f2d-4a5b6c7d8e9f", "onTrack")})
	req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL, strings.NewReader(string(b)))
	req.Header.Set("Authorization", key)
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer (%d), want none", resp.StatusCode)
	}
	if ups := fake.Updates("p1"); len(ups) != 1 {
		t.Errorf("updates = %+v, want the create carried out", ups)
	}
}
