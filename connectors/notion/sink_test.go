package notion_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/goalpost/goalpost/writeback/outbox"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/internal/sandbox/notionfake"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback"
)

var _ writeback.Sink = (*notion.Sink)(nil)
var _ writeback.Describer = (*notion.Sink)(nil)
var _ writeback.Fingerprinter = (*notion.Sink)(nil)

const token = "secret_NOTIONTOKEN0123456789abcdef"

// env is a fake Notion with a goals database, and a sink pointed at it.
type env struct {
	fake   *notionfake.Server
	srv    *httptest.Server
	db     string
	sink   *notion.Sink
	logs   *bytes.Buffer
	mu     sync.Mutex
	sleeps []time.Duration
}

func newEnv(t *testing.T, mod func(*notion.Config), opts ...notionfake.Option) *env {
	t.Helper()
	e := &env{fake: notionfake.New(token, opts...), logs: &bytes.Buffer{}}
	e.srv = httptest.NewServer(e.fake)
	t.Cleanup(e.srv.Close)
	db, err := e.fake.AddDatabase("", "Key results", notionfake.GoalsSchema())
	if err != nil {
		t.Fatal(err)
	}
	e.db = db
	cfg := &notion.Config{BaseURL: e.srv.URL + "/v1/", Token: secret.String(token), RequestsPerSecond: 100}
	if mod != nil {
		mod(cfg)
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.sink, err = notion.NewSink(cfg, e.srv.Client(), log, notion.WithSleep(e.sleep))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) sleep(ctx context.Context, d time.Duration) error {
	e.mu.Lock()
	e.sleeps = append(e.sleeps, d)
	e.mu.Unlock()
	return ctx.Err()
}

func (e *env) page(t *testing.T, props map[string]any) string {
	t.Helper()
	if props == nil {
		props = map[string]any{"Name": "KR", "Key": "kr-1"}
	}
	id, err := e.fake.AddPage(e.db, props)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var evalAt = time.Date(2026, 11, 19, 10, 15, 0, 0, time.UTC) // a Thursday

func result(status string) outbox.Update {
	v := 2.0
	return outbox.Update{
		KRKey: "kr-1", Title: "Ship passkeys", Type: "count", Current: 12, Baseline: 0, Target: 40,
		Progress: 0.3, Status: status, EvaluatedAt: evalAt, RuleVersion: "v3",
		Evidence: []outbox.Evidence{
			{EventID: "e1", Unit: "acme/api#12", Kind: "change.shipped", Title: "Add passkey login", URL: "https://github.com/acme/api/pull/12", OccurredAt: evalAt.Add(-time.Hour)},
			{EventID: "e2", Unit: "acme/api#9", Kind: "change.shipped", Title: "Passkey storage", URL: "https://github.com/acme/api/pull/9", OccurredAt: evalAt.AddDate(0, 0, -10), Value: &v},
		},
		Blocked: []outbox.Evidence{{EventID: "e3", Unit: "AUTH-7", Kind: "issue.blocked", Title: "Security review", URL: "https://acme.atlassian.net/browse/AUTH-7"}},
	}
}

func TestSinkWritesPropertiesAndCheckin(t *testing.T) {
	e := newEnv(t, nil)
	id := e.page(t, nil)
	ctx := t.Context()
	if err := e.sink.Write(ctx, outbox.NotionPage(id), result(rules.StatusOnTrack)); err != nil {
		t.Fatal(err)
	}
	p, err := e.fake.Page(id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Current": 12.0, "Target": 40.0, "Progress": 0.3, "Status": "On track", "Last synced": "2026-11-19T10:15:00Z",
		"Evidence": "2 items: acme/api#12 Add passkey login · acme/api#9 Passkey storage",
	}
	for k, v := range want {
		if fmt.Sprint(p.Props[k]) != fmt.Sprint(v) {
			t.Errorf("%s = %v, want %v", k, p.Props[k], v)
		}
	}
	if got := strings.Join(p.Links["Evidence"], " "); got != "https://github.com/acme/api/pull/12 https://github.com/acme/api/pull/9" {
		t.Errorf("evidence links = %q", got)
	}
	blocks := e.fake.Children(id)
	if len(blocks) != 1 || blocks[0].Type != "callout" || !strings.HasPrefix(blocks[0].Text, "Weekly check-in · goalpost") {
		t.Fatalf("check-in blocks = %+v", blocks)
	}
	if !strings.Contains(blocks[0].Text, "Moved this week (1 item): acme/api#12 Add passkey login") ||
		!strings.Contains(blocks[0].Text, "Blocked (1): AUTH-7 Security review") {
		t.Errorf("check-in text = %q", blocks[0].Text)
	}

	// A second write reuses the cached schema and updates the callout in place.
	e.fake.ResetRequests()
	r := result(rules.StatusAtRisk)
	r.Current = 13
	if err := e.sink.Write(ctx, outbox.NotionPage(id), r); err != nil {
		t.Fatal(err)
	}
	wantReqs := map[string]int{"PATCH /v1/pages/{id}": 1, "PATCH /v1/blocks/{id}": 1}
	if got := e.fake.Requests(); fmt.Sprint(got) != fmt.Sprint(wantReqs) {
		t.Errorf("requests = %v, want %v", got, wantReqs)
	}
	if blocks := e.fake.Children(id); len(blocks) != 1 || !strings.Contains(blocks[0].Text, "Current 13 / Target 40") {
		t.Errorf("check-in not updated in place: %+v", blocks)
	}
	for _, req := range e.fake.Log() {
		if req.NotionVersion != "2022-06-28" {
			t.Errorf("%s %s sent Notion-Version %q", req.Method, req.Path, req.NotionVersion)
		}
		if bytes.Contains(req.Body, []byte(`"archived"`)) || bytes.Contains(req.Body, []byte(`"in_trash"`)) {
			t.Errorf("%s %s sent a trash flag: %s", req.Method, req.Path, req.Body)
		}
	}
}

func TestSinkFindsExistingCheckinAfterRestart(t *testing.T) {
	e := newEnv(t, nil)
	id := e.page(t, nil)
	if _, err := e.fake.AddBlock(id, "paragraph", "Notes written by a person."); err != nil {
		t.Fatal(err)
	}
	if err := e.sink.Write(t.Context(), outbox.NotionPage(id), result(rules.StatusOnTrack)); err != nil {
		t.Fatal(err)
	}
	// A new sink (a restarted process) finds the callout instead of appending another.
	other, err := notion.NewSink(&notion.Config{BaseURL: e.srv.URL + "/v1/", Token: token, RequestsPerSecond: 100}, e.srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Write(t.Context(), outbox.NotionPage(id), result(rules.StatusOffTrack)); err != nil {
		t.Fatal(err)
	}
	blocks := e.fake.Children(id)
	if len(blocks) != 2 || blocks[0].Text != "Notes written by a person." || !strings.Contains(blocks[1].Text, "Off track") {
		t.Fatalf("blocks = %+v", blocks)
	}
}

func TestSinkReappendsDeletedCheckin(t *testing.T) {
	e := newEnv(t, nil)
	id := e.page(t, nil)
	ctx := t.Context()
	if err := e.sink.Write(ctx, outbox.NotionPage(id), result(rules.StatusOnTrack)); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("DELETE", "/v1/blocks/"+e.fake.Children(id)[0].ID, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Notion-Version", "2022-06-28")
	rec := httptest.NewRecorder()
	e.fake.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	if err := e.sink.Write(ctx, outbox.NotionPage(id), result(rules.StatusAtRisk)); err != nil {
		t.Fatal(err)
	}
	var live int
	for _, b := range e.fake.Children(id) {
		if !b.Trashed {
			live++
		}
	}
	if live != 1 {
		t.Errorf("live check-in blocks = %d, want 1", live)
	}
}

func TestSinkSelectStatusAndDisabledProperties(t *testing.T) {
	e := newEnv(t, func(c *notion.Config) {
		c.Properties = notion.Properties{Status: "Health", Evidence: notion.Disabled, LastSynced: notion.Disabled}
		c.StatusNames = notion.StatusNames{AtRisk: "Watch"}
		c.Checkin = notion.CheckinOff
	})
	schema := map[string]notionfake.Prop{
		"Name": {Type: notionfake.Title}, "Current": {Type: notionfake.Number}, "Target": {Type: notionfake.Number},
		"Progress": {Type: notionfake.Number}, "Health": {Type: notionfake.Select},
	}
	db, err := e.fake.AddDatabase("", "KRs", schema)
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.fake.AddPage(db, map[string]any{"Name": "KR"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sink.Write(t.Context(), outbox.NotionPage(id), result(rules.StatusAtRisk)); err != nil {
		t.Fatal(err)
	}
	p, _ := e.fake.Page(id)
	if p.Props["Health"] != "Watch" || p.Props["Current"] != 12.0 {
		t.Errorf("props = %v", p.Props)
	}
	if n := len(e.fake.Children(id)); n != 0 {
		t.Errorf("check-in off, but %d blocks appended", n)
	}
}

func TestSinkStaleOnlyUpdatesStatus(t *testing.T) {
	e := newEnv(t, nil)
	id := e.page(t, map[string]any{"Name": "KR", "Current": 7})
	if err := e.sink.Write(t.Context(), outbox.NotionPage(id), result(rules.StatusStale)); err != nil {
		t.Fatal(err)
	}
	p, _ := e.fake.Page(id)
	if p.Props["Status"] != "Stale" || p.Props["Current"] != 7.0 || p.Props["Last synced"] != nil {
		t.Errorf("stale write changed more than the status: %v", p.Props)
	}
	if len(e.fake.Children(id)) != 0 {
		t.Error("stale write touched the check-in")
	}
}

func TestSinkRespectsNotionLimits(t *testing.T) {
	e := newEnv(t, func(c *notion.Config) { c.EvidenceLimit = 40 })
	id := e.page(t, nil)
	r := result(rules.StatusOnTrack)
	r.Evidence = nil
	long := strings.Repeat("ü", 3000)
	for i := range 500 {
		r.Evidence = append(r.Evidence, outbox.Evidence{
			EventID: fmt.Sprint(i), Unit: fmt.Sprintf("acme/api#%d", i), Title: long,
			URL: "https://example.com/" + strings.Repeat("x", i*5), OccurredAt: evalAt,
		})
	}
	if err := e.sink.Write(t.Context(), outbox.NotionPage(id), r); err != nil {
		t.Fatal(err) // the fake rejects >2,000 characters per item and >100 items
	}
	p, _ := e.fake.Page(id)
	ev := p.Props["Evidence"].(string)
	if !strings.HasPrefix(ev, "500 items: ") || !strings.HasSuffix(ev, " … and 460 more") {
		t.Errorf("evidence = %.80q…%q", ev, ev[len(ev)-40:])
	}
	for _, link := range p.Links["Evidence"] {
		if len(link) > 2000 {
			t.Errorf("link of %d characters sent", len(link))
		}
	}
}

func TestSinkEvidenceTotalBeyondCappedList(t *testing.T) {
	e := newEnv(t, nil)
	id := e.page(t, nil)
	r := result(rules.StatusOnTrack)
	r.EvidenceTotal = 57
	if err := e.sink.Write(t.Context(), outbox.NotionPage(id), r); err != nil {
		t.Fatal(err)
	}
	p, _ := e.fake.Page(id)
	if ev := p.Props["Evidence"].(string); !strings.HasPrefix(ev, "57 items: ") || !strings.HasSuffix(ev, "… and 55 more") {
		t.Errorf("evidence = %q", ev)
	}
}

func TestSinkNoDataClearsNumbers(t *testing.T) {
	e := newEnv(t, nil)
	id := e.page(t, map[string]any{"Name": "KR", "Current": 5, "Progress": 0.5})
	r := result(rules.StatusOnTrack)
	r.NoData, r.Evidence, r.Current, r.Progress = true, nil, 0, 0
	if err := e.sink.Write(t.Context(), outbox.NotionPage(id), r); err != nil {
		t.Fatal(err)
	}
	p, _ := e.fake.Page(id)
	if p.Props["Current"] != nil || p.Props["Progress"] != nil || p.Props["Target"] != 40.0 || p.Props["Evidence"] != "No data yet." {
		t.Errorf("props = %v", p.Props)
	}
}

func TestPageID(t *testing.T) {
	tests := []struct {
		target    outbox.Target
		want, err string
	}{
		{target: outbox.NotionPage("0123456789abcdef0123456789ABCDEF"), want: "01234567-89ab-cdef-0123-456789abcdef"},
		{target: outbox.NotionPage("01234567-89ab-cdef-0123-456789abcdef"), want: "01234567-89ab-cdef-0123-456789abcdef"},
		{target: outbox.NotionPage("https://www.notion.so/acme/Ship-passkeys-0123456789abcdef0123456789abcdef?pvs=4"), want: "01234567-89ab-cdef-0123-456789abcdef"},
		{target: outbox.NotionPage(""), err: "no page id"},
		{target: outbox.LinearProject("x"), err: "not a Notion page"},
	}
	for _, tt := range tests {
		t.Run(tt.target.String(), func(t *testing.T) {
			got, err := notion.PageID(tt.target)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("PageID = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSinkRequestBodyGolden(t *testing.T) {
	e := newEnv(t, nil)
	id, err := e.fake.AddPageWithID("0123456789abcdef0123456789abcdef", e.db, map[string]any{"Name": "KR"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sink.Write(t.Context(), outbox.NotionPage(id), result(rules.StatusOnTrack)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, req := range e.fake.Log() {
		if req.Method == "GET" {
			fmt.Fprintf(&out, "%s\n\n", req.Route)
			continue
		}
		var v any
		_ = json.Unmarshal(req.Body, &v)
		body, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintf(&out, "%s\n%s\n\n", req.Route, body)
	}
	desc, err := e.sink.Describe(outbox.NotionPage(id), result(rules.StatusOnTrack))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "dry run: %s\n", desc)
	golden(t, "write_requests.golden", out.Bytes())
}

// TestSinkNeverRewritesATarget: the same update (a ratio whose config target
// is 100) written to a page whose Target is empty and to one whose Target is 1
// (100% on a percent-formatted property): the first gets the target, the
// second keeps its own.
func TestSinkNeverRewritesATarget(t *testing.T) {
	tests := []struct {
		name  string
		props map[string]any
		want  float64
	}{
		{"a page without a target gets the config's", map[string]any{"Name": "KR", "Key": "kr-1"}, 100},
		{"a page's own target stays", map[string]any{"Name": "KR", "Key": "kr-1", "Target": 1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *notion.Config) { c.Checkin = notion.CheckinOff })
			id := e.page(t, tt.props)
			up := result(rules.StatusOnTrack)
			up.Type, up.Current, up.Target, up.Unit = rules.TypeRatio, 50, 100, "%"
			if err := e.sink.Write(t.Context(), outbox.NotionPage(id), up); err != nil {
				t.Fatal(err)
			}
			p, _ := e.fake.Page(id)
			if fmt.Sprint(p.Props["Target"]) != fmt.Sprint(tt.want) || fmt.Sprint(p.Props["Current"]) != "50" {
				t.Errorf("Target = %v, Current = %v; want %v, 50", p.Props["Target"], p.Props["Current"], tt.want)
			}
		})
	}
}

// TestSinkFollowsNumberFormat: a ratio shown as a percentage (unit "%")
// goes to a percent-formatted Current as a fraction (Notion shows 0.8 as
// 80 %), to a plain number property as it is; a ratio shown as a
// fraction goes everywhere as it is; a page's own Target is never
// rewritten (ADR 45).
func TestSinkFollowsNumberFormat(t *testing.T) {
	for _, tt := range []struct {
		name            string
		format, unit    string
		current, target float64
		pageTarget      any // the page's Target before the write (nil: empty)
		wantCurrent     any
		wantTarget      any
	}{
		{"percent display, number format", "number", "%", 80, 90, nil, 80.0, 90.0},
		{"percent display, percent format", "percent", "%", 80, 90, nil, 0.8, 0.9},
		{"percent display, percent format, the page's target kept", "percent", "%", 80, 90, 1, 0.8, 1.0},
		{"fraction display, number format", "number", "", 0.8, 0.9, nil, 0.8, 0.9},
		{"fraction display, percent format", "percent", "", 0.8, 0.9, nil, 0.8, 0.9},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *notion.Config) { c.Checkin = notion.CheckinOff })
			schema := notionfake.GoalsSchema()
			schema["Current"] = notionfake.Prop{Type: notionfake.Number, Format: tt.format}
			schema["Target"] = notionfake.Prop{Type: notionfake.Number, Format: tt.format}
			db, err := e.fake.AddDatabase("", "KRs", schema)
			if err != nil {
				t.Fatal(err)
			}
			props := map[string]any{"Name": "KR", "Key": "kr-1"}
			if tt.pageTarget != nil {
				props["Target"] = tt.pageTarget
			}
			id, err := e.fake.AddPage(db, props)
			if err != nil {
				t.Fatal(err)
			}
			up := result(rules.StatusOnTrack)
			up.Type, up.Current, up.Target, up.Unit = rules.TypeRatio, tt.current, tt.target, tt.unit
			if err := e.sink.Write(t.Context(), outbox.NotionPage(id), up); err != nil {
				t.Fatal(err)
			}
			p, _ := e.fake.Page(id)
			if fmt.Sprint(p.Props["Current"]) != fmt.Sprint(tt.wantCurrent) || fmt.Sprint(p.Props["Target"]) != fmt.Sprint(tt.wantTarget) {
				t.Errorf("Current = %v, Target = %v; want %v, %v", p.Props["Current"], p.Props["Target"], tt.wantCurrent, tt.wantTarget)
			}
		})
	}
}
