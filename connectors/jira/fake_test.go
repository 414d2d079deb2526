package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
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

// fakeJira behaves like Jira's REST API for what the poller uses: the
// enhanced search with nextPageToken (Cloud) or startAt (Data Center), JQL
// "updated >=" literals read in the user's time zone at minute precision,
// truncated embedded changelogs, the paginated changelog endpoint, auth,
// 429 with Retry-After, and the removed /search answering 410 on Cloud.
type fakeJira struct {
	mu         sync.Mutex
	tz         *time.Location
	dc         bool // Data Center: /search works, /search/jql does not exist
	email, tok string
	pageSize   int // forced page size when > 0
	embedLimit int // histories embedded in a search result
	issues     []*fakeIssue
	statuses   map[string][2]string // id -> name, category
	flagField  string               // the id of the custom field named Flagged ("" none)
	fail429    map[string]int       // path -> 429 answers still to give
	calls      map[string]int
	jqls       []string
	auth       []string
}

type fakeIssue struct {
	ID, Key, Type, Summary  string
	StatusID                string
	Created, Updated        time.Time
	Resolution, Assignee    string
	Labels                  []string
	Parent, ParentType      string
	Custom                  map[string]any
	Histories               []fakeHistory
	Hidden                  bool // not yet indexed (eventual consistency)
	StatusCategoryChangedAt time.Time
}

type fakeHistory struct {
	ID     string
	At     time.Time
	Author string
	Items  []map[string]any
}

func newFakeJira() *fakeJira {
	return &fakeJira{
		tz: time.UTC, email: "bot@acme.test", tok: "jira-token-secret", embedLimit: 20,
		statuses: map[string][2]string{
			"1": {"To Do", catNew}, "3": {"In Progress", catIndeterminate}, "4": {"Blocked", catIndeterminate},
			"10001": {"Done", catDone}, "10002": {"Closed", catDone},
		},
		fail429: map[string]int{}, calls: map[string]int{}, flagField: "customfield_10021",
	}
}

func (f *fakeJira) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[r.URL.Path]++
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	if !f.authorized(r) {
		writeJSON(w, 401, map[string]any{"errorMessages": []string{"Unauthorized"}})
		return
	}
	if n := f.fail429[r.URL.Path]; n > 0 {
		f.fail429[r.URL.Path] = n - 1
		w.Header().Set("Retry-After", "2")
		writeJSON(w, 429, map[string]any{"errorMessages": []string{"Rate limit exceeded."}})
		return
	}
	switch p := r.URL.Path; {
	case p == "/rest/api/2/search" && !f.dc:
		writeJSON(w, 410, map[string]any{"errorMessages": []string{"The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."}})
	case p == "/rest/api/2/search" && r.Method == http.MethodGet:
		f.searchOffset(w, r)
	case p == "/rest/api/2/search/jql" && r.Method == http.MethodPost && !f.dc:
		f.searchJQL(w, r)
	case p == "/rest/api/2/myself":
		writeJSON(w, 200, map[string]any{"accountId": "bot", "timeZone": f.tz.String()})
	case p == "/rest/api/2/status":
		var out []map[string]any
		for id, s := range f.statuses {
			out = append(out, map[string]any{"id": id, "name": s[0], "statusCategory": map[string]any{"key": s[1]}})
		}
		writeJSON(w, 200, out)
	case p == "/rest/api/2/project": // every project the user can browse (no pagination)
		writeJSON(w, 200, []map[string]any{{"id": "10000", "key": "AUTH", "name": "Auth"}})
	case p == "/rest/api/2/user/assignable/multiProjectSearch":
		if r.URL.Query().Get("projectKeys") == "" {
			writeJSON(w, 400, map[string]any{"errorMessages": []string{"The projectKeys parameter is required."}})
			return
		}
		writeJSON(w, 200, []map[string]any{
			{"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Ana Lima", "emailAddress": "ana@acme.test", "accountType": "atlassian", "active": true},
			{"accountId": "557058:automation", "displayName": "Automation for Jira", "accountType": "app", "active": true},
		})
	case strings.HasPrefix(p, "/rest/api/2/project/"):
		key := strings.TrimPrefix(p, "/rest/api/2/project/")
		if key != "AUTH" {
			writeJSON(w, 404, map[string]any{"errorMessages": []string{"No project could be found with key '" + key + "'."}})
			return
		}
		writeJSON(w, 200, map[string]any{"id": "10000", "key": key, "name": "Auth"})
	case p == "/rest/api/2/field":
		writeJSON(w, 200, f.fieldList())
	case strings.HasPrefix(p, "/rest/api/2/issue/") && strings.HasSuffix(p, "/changelog"):
		f.changelog(w, r, strings.TrimSuffix(strings.TrimPrefix(p, "/rest/api/2/issue/"), "/changelog"))
	default:
		writeJSON(w, 404, map[string]any{"errorMessages": []string{"not found: " + p}})
	}
}

func (f *fakeJira) authorized(r *http.Request) bool {
	if f.dc {
		return r.Header.Get("Authorization") == "Bearer "+f.tok
	}
	u, p, ok := r.BasicAuth()
	return ok && u == f.email && p == f.tok
}

var updatedClause = regexp.MustCompile(`updated >= "([^"]+)"`)

// match returns the visible issues the JQL selects, ordered by updated then key.
func (f *fakeJira) match(jql string) ([]*fakeIssue, error) {
	f.jqls = append(f.jqls, jql)
	m := updatedClause.FindStringSubmatch(jql)
	if m == nil {
		return nil, fmt.Errorf("unbounded JQL %q", jql)
	}
	since, err := time.ParseInLocation("2006/01/02 15:04", m[1], f.tz)
	if err != nil {
		return nil, err
	}
	var out []*fakeIssue
	for _, is := range f.issues {
		if !is.Hidden && !is.Updated.Before(since) {
			out = append(out, is)
		}
	}
	slices.SortStableFunc(out, func(a, b *fakeIssue) int {
		if c := a.Updated.Compare(b.Updated); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

func (f *fakeJira) searchJQL(w http.ResponseWriter, r *http.Request) {
	var req struct {
		JQL           string   `json:"jql"`
		Fields        []string `json:"fields"`
		MaxResults    int      `json:"maxResults"`
		NextPageToken string   `json:"nextPageToken"`
		Expand        string   `json:"expand"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, 400, map[string]any{"errorMessages": []string{err.Error()}})
		return
	}
	all, err := f.match(req.JQL)
	if err != nil {
		writeJSON(w, 400, map[string]any{"errorMessages": []string{err.Error()}})
		return
	}
	start := 0
	if req.NextPageToken != "" {
		start, _ = strconv.Atoi(strings.TrimPrefix(req.NextPageToken, "tok-"))
	}
	size := req.MaxResults
	if f.pageSize > 0 {
		size = f.pageSize
	}
	end := min(start+size, len(all))
	resp := map[string]any{"issues": f.render(all[start:end], req.Fields, req.Expand == "changelog", false), "isLast": end >= len(all)}
	if end < len(all) {
		resp["nextPageToken"] = "tok-" + strconv.Itoa(end)
	}
	writeJSON(w, 200, resp)
}

func (f *fakeJira) searchOffset(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	all, err := f.match(q.Get("jql"))
	if err != nil {
		writeJSON(w, 400, map[string]any{"errorMessages": []string{err.Error()}})
		return
	}
	start, _ := strconv.Atoi(q.Get("startAt"))
	size, _ := strconv.Atoi(q.Get("maxResults"))
	if f.pageSize > 0 {
		size = f.pageSize
	}
	start = min(start, len(all))
	end := min(start+size, len(all))
	fields := strings.Split(q.Get("fields"), ",")
	writeJSON(w, 200, map[string]any{"startAt": start, "maxResults": size, "total": len(all),
		"issues": f.render(all[start:end], fields, q.Get("expand") == "changelog", true)})
}

func (f *fakeJira) changelog(w http.ResponseWriter, r *http.Request, key string) {
	var is *fakeIssue
	for _, i := range f.issues {
		if i.Key == key {
			is = i
		}
	}
	if is == nil {
		writeJSON(w, 404, map[string]any{"errorMessages": []string{"Issue does not exist"}})
		return
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("startAt"))
	start = min(start, len(is.Histories))
	end := min(start+2, len(is.Histories)) // small pages to exercise pagination
	writeJSON(w, 200, map[string]any{"startAt": start, "maxResults": 2, "total": len(is.Histories),
		"isLast": end >= len(is.Histories), "values": histories(is.Histories[start:end])})
}

// render writes issues with only the requested fields, like the enhanced
// search does (no fields → ids only).
func (f *fakeJira) render(issues []*fakeIssue, fields []string, expand, complete bool) []map[string]any {
	var out []map[string]any
	for _, is := range issues {
		all := f.fields(is)
		sel := map[string]any{}
		for _, k := range fields {
			if v, ok := all[k]; ok {
				sel[k] = v
			}
		}
		m := map[string]any{"id": is.ID, "key": is.Key, "self": "https://acme.test/rest/api/2/issue/" + is.ID}
		if len(fields) > 0 {
			m["fields"] = sel
		}
		if expand {
			hs := slices.Clone(is.Histories)
			slices.Reverse(hs) // search embeds the newest first
			if !complete && len(hs) > f.embedLimit {
				hs = hs[:f.embedLimit]
			}
			m["changelog"] = map[string]any{"startAt": 0, "maxResults": len(hs), "total": len(is.Histories), "histories": histories(hs)}
		}
		out = append(out, m)
	}
	return out
}

func (f *fakeJira) fields(is *fakeIssue) map[string]any {
	st := f.statuses[is.StatusID]
	m := map[string]any{
		"summary": is.Summary, "issuetype": map[string]any{"name": is.Type, "subtask": false},
		"project": map[string]any{"key": strings.Split(is.Key, "-")[0]},
		"status":  map[string]any{"id": is.StatusID, "name": st[0], "statusCategory": map[string]any{"key": st[1]}},
		"created": jiraStamp(is.Created), "updated": jiraStamp(is.Updated),
		"labels": is.Labels, "priority": map[string]any{"name": "Medium"},
		"reporter": map[string]any{"accountId": "acc-reporter"}, "issuelinks": []any{},
	}
	if !is.StatusCategoryChangedAt.IsZero() {
		m["statuscategorychangedate"] = jiraStamp(is.StatusCategoryChangedAt)
	}
	if is.Assignee != "" {
		m["assignee"] = map[string]any{"accountId": is.Assignee}
	}
	if is.Resolution != "" {
		m["resolution"] = map[string]any{"name": is.Resolution}
	}
	if is.Parent != "" {
		m["parent"] = map[string]any{"key": is.Parent, "fields": map[string]any{"issuetype": map[string]any{"name": is.ParentType}}}
	}
	for k, v := range is.Custom {
		m[k] = v
	}
	return m
}

func histories(hs []fakeHistory) []map[string]any {
	out := []map[string]any{}
	for _, h := range hs {
		out = append(out, map[string]any{"id": h.ID, "created": jiraStamp(h.At),
			"author": map[string]any{"accountId": h.Author}, "items": h.Items})
	}
	return out
}

func jiraStamp(t time.Time) string { return t.Format("2006-01-02T15:04:05.000-0700") }

// fieldList is GET /rest/api/2/field: system fields, story points and the
// Flagged field under the id this site gave it.
func (f *fakeJira) fieldList() []map[string]any {
	out := []map[string]any{
		{"id": "summary", "name": "Summary", "custom": false, "schema": map[string]any{"type": "string", "system": "summary"}},
		{"id": "status", "name": "Status", "custom": false, "schema": map[string]any{"type": "status", "system": "status"}},
		{"id": "customfield_10016", "name": "Story point estimate", "custom": true, "schema": map[string]any{"type": "number"}},
	}
	if f.flagField != "" {
		out = append(out, map[string]any{"id": f.flagField, "name": "Flagged", "custom": true,
			"schema": map[string]any{"type": "array", "items": "option", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes"}})
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func statusItem(from, fromName, to, toName string) map[string]any {
	return map[string]any{"field": "status", "fieldtype": "jira", "fieldId": "status", "from": from, "fromString": fromName, "to": to, "toString": toName}
}

// memPublisher records published events; fail makes Publish fail.
type memPublisher struct {
	mu    sync.Mutex
	fail  error
	calls int
	byID  map[string]event.Event
	order []string
}

func (p *memPublisher) Publish(_ context.Context, evs ...event.Event) error {
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
			p.order = append(p.order, ev.ID)
		}
	}
	return nil
}

func (p *memPublisher) ids() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := slices.Clone(p.order)
	slices.Sort(ids)
	return ids
}

func (p *memPublisher) events() []event.Event {
	var out []event.Event
	for _, id := range p.ids() {
		out = append(out, p.byID[id])
	}
	return out
}

// harness is a Source against a fake Jira, a real SQLite store and a
// recording publisher, with a fixed clock and recorded retry waits.
type harness struct {
	fake  *fakeJira
	srv   *httptest.Server
	pub   *memPublisher
	store *store.Store
	src   *Source
	cfg   *Config
	waits []time.Duration
	now   time.Time
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, fake *fakeJira, mod func(*Config)) *harness {
	t.Helper()
	h := &harness{fake: fake, pub: &memPublisher{}, now: t0.Add(time.Hour)}
	h.srv = httptest.NewServer(fake)
	t.Cleanup(h.srv.Close)
	log := slog.New(slog.DiscardHandler)
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "goalpost.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h.store = st
	h.cfg = &Config{BaseURL: h.srv.URL, Email: fake.email, Token: "jira-token-secret", Projects: []string{"AUTH"},
		Backfill: dur(48 * time.Hour), StoryPointsField: "customfield_10016", WebhookSecret: "jira-hook-secret-value"}
	if fake.dc {
		h.cfg.Email, h.cfg.Deployment = "", DeploymentDataCenter
	}
	if mod != nil {
		mod(h.cfg)
	}
	var mu sync.Mutex
	h.src, err = NewSource(h.cfg, h.pub, st, log, WithClock(func() time.Time { return h.now }),
		WithBaseTransport(h.srv.Client().Transport),
		WithTransportOptions(transport.Options{Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			h.waits = append(h.waits, d)
			mu.Unlock()
			return ctx.Err()
		}}))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) cursor(t *testing.T) string {
	t.Helper()
	v, err := h.store.Cursor(t.Context(), event.SourceJira, h.src.key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
