package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/pipeline/event"
)

var update = flag.Bool("update", false, "rewrite golden files")

func dur(d time.Duration) confval.Duration { return confval.Duration{Duration: d} }

// scenario fills fake with a story under an epic, an incident whose long
// changelog the search truncates, a fresh issue and one outside the window.
func scenario(f *fakeJira) {
	f.embedLimit = 3
	f.issues = []*fakeIssue{
		{ID: "10001", Key: "AUTH-1", Type: "Story", Summary: "Passkey login", StatusID: "10001", Resolution: "Done",
			Created: t0.Add(-3 * time.Hour), Updated: t0.Add(-time.Hour), Assignee: "acc-ada",
			Parent: "AUTH-100", ParentType: "Epic", Custom: map[string]any{"customfield_10016": 5.0},
			Histories: []fakeHistory{
				{ID: "20001", At: t0.Add(-2 * time.Hour), Author: "acc-ada", Items: []map[string]any{statusItem("1", "To Do", "3", "In Progress")}},
				{ID: "20002", At: t0.Add(-time.Hour), Author: "acc-ada", Items: []map[string]any{
					statusItem("3", "In Progress", "10001", "Done"),
					{"field": "resolution", "fieldtype": "jira", "from": nil, "fromString": nil, "to": "10000", "toString": "Done"}}},
			}},
		{ID: "10002", Key: "AUTH-2", Type: "Incident", Summary: "SEV-2 login outage", StatusID: "10002", Resolution: "Fixed",
			Created: t0.Add(-30 * time.Minute), Updated: t0.Add(-10 * time.Minute), Assignee: "acc-bob", Labels: []string{"sev2", "blocked"},
			Custom: map[string]any{"customfield_10021": []any{map[string]any{"value": "Impediment"}}},
			Histories: []fakeHistory{
				{ID: "30001", At: t0.Add(-29 * time.Minute), Author: "acc-bob", Items: []map[string]any{statusItem("1", "To Do", "3", "In Progress")}},
				{ID: "30002", At: t0.Add(-28 * time.Minute), Author: "acc-bob", Items: []map[string]any{{"field": "labels", "fromString": "sev2", "toString": "sev2 blocked"}}},
				{ID: "30003", At: t0.Add(-27 * time.Minute), Author: "acc-bob", Items: []map[string]any{{"field": "Flagged", "fieldId": "customfield_10021", "from": nil, "fromString": nil, "to": "[10019]", "toString": "Impediment"}}},
				{ID: "30004", At: t0.Add(-26 * time.Minute), Author: "acc-bob", Items: []map[string]any{statusItem("3", "In Progress", "10001", "Done"),
					{"field": "resolution", "from": nil, "fromString": nil, "to": "1", "toString": "Fixed"}}},
				{ID: "30005", At: t0.Add(-20 * time.Minute), Author: "acc-bob", Items: []map[string]any{statusItem("10001", "Done", "3", "In Progress"),
					{"field": "resolution", "from": "1", "fromString": "Fixed", "to": nil, "toString": nil}}},
				{ID: "30006", At: t0.Add(-10 * time.Minute), Author: "acc-bob", Items: []map[string]any{statusItem("3", "In Progress", "10002", "Closed"),
					{"field": "resolution", "from": nil, "fromString": nil, "to": "1", "toString": "Fixed"}}},
			}},
		{ID: "10003", Key: "AUTH-3", Type: "Task", Summary: "Write runbook", StatusID: "1",
			Created: t0.Add(-5 * time.Minute), Updated: t0.Add(-5 * time.Minute)},
		{ID: "10004", Key: "AUTH-4", Type: "Task", Summary: "Ancient", StatusID: "1",
			Created: t0.Add(-100 * time.Hour), Updated: t0.Add(-72 * time.Hour)},
	}
}

func TestPollOnceEvents(t *testing.T) {
	fake := newFakeJira()
	scenario(fake)
	h := newHarness(t, fake, nil)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	if err := h.src.LastError(); err != nil {
		t.Errorf("LastError = %v after a good poll", err)
	}
	golden(t, "poll_events.golden.json", h.srv.URL, h.pub.events())

	if n := fake.calls["/rest/api/2/search"]; n != 0 {
		t.Errorf("the removed /rest/api/2/search was called %d times", n)
	}
	if n := fake.calls["/rest/api/2/issue/AUTH-2/changelog"]; n != 3 {
		t.Errorf("full changelog of AUTH-2 read in %d pages, want 3", n)
	}
	if n := fake.calls["/rest/api/2/issue/AUTH-1/changelog"]; n != 0 {
		t.Errorf("complete embedded changelog of AUTH-1 refetched %d times", n)
	}
	if got, want := h.cursor(t), t0.Add(-5*time.Minute).Format(time.RFC3339Nano); got != want {
		t.Errorf("cursor = %q, want %q", got, want)
	}
	for _, a := range fake.auth {
		if !strings.HasPrefix(a, "Basic ") {
			t.Fatalf("Authorization %q, want basic auth (Cloud email + API token)", a)
		}
	}
}

func TestPollOnceIsIdempotent(t *testing.T) {
	fake := newFakeJira()
	scenario(fake)
	h := newHarness(t, fake, nil)
	for i := range 2 {
		if err := h.src.PollOnce(t.Context()); err != nil {
			t.Fatalf("poll %d: %v", i, err)
		}
	}
	first := len(h.pub.ids())
	if first != 11 {
		t.Errorf("%d distinct events, want 11", first)
	}
	// The second poll re-read the cursor's minute (overlap) and produced only
	// IDs already published.
	if h.pub.calls < 2 {
		t.Errorf("second poll published nothing; the overlap should re-read the cursor's minute")
	}
}

func TestNeverCallsRemovedSearch(t *testing.T) {
	fake := newFakeJira()
	scenario(fake)
	fake.pageSize = 1
	h := newHarness(t, fake, nil)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if fake.calls["/rest/api/2/search/jql"] < 3 {
		t.Errorf("enhanced search called %d times, want one per page", fake.calls["/rest/api/2/search/jql"])
	}
	if n := fake.calls["/rest/api/2/search"]; n != 0 {
		t.Fatalf("/rest/api/2/search called %d times", n)
	}
	// The fake really answers 410 there, as Jira Cloud does.
	var out searchPage
	err := h.src.api.do(t.Context(), "GET", "rest/api/2/search?jql=x", nil, &out)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 410 {
		t.Fatalf("legacy search answered %v, want a 410 APIError", err)
	}
}

func TestPollPagination(t *testing.T) {
	fake := newFakeJira()
	scenario(fake)
	fake.pageSize = 2
	h := newHarness(t, fake, nil)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := fake.calls["/rest/api/2/search/jql"]; got != 2 {
		t.Errorf("search pages = %d, want 2 (3 issues, 2 per page)", got)
	}
	if got := len(h.pub.ids()); got != 11 {
		t.Errorf("events = %d, want 11", got)
	}
}

func TestPollRateLimited(t *testing.T) {
	fake := newFakeJira()
	scenario(fake)
	fake.fail429["/rest/api/2/search/jql"] = 1
	fake.fail429["/rest/api/2/issue/AUTH-2/changelog"] = 2
	h := newHarness(t, fake, nil)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	if want := []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second}; !slices.Equal(h.waits, want) {
		t.Errorf("waits = %v, want %v (Retry-After honoured)", h.waits, want)
	}
	if got := len(h.pub.ids()); got != 11 {
		t.Errorf("events = %d, want 11", got)
	}
}

func TestPollErrorsKeepCursor(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *harness)
	}{
		{"publish fails", func(h *harness) { h.pub.fail = errors.New("stream unavailable") }},
		{"rate limited beyond attempts", func(h *harness) { h.fake.fail429["/rest/api/2/search/jql"] = 100 }},
		{"bad credentials", func(h *harness) { h.fake.tok = "rotated" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeJira()
			scenario(fake)
			h := newHarness(t, fake, nil)
			tt.setup(h)
			err := h.src.PollOnce(t.Context())
			if err == nil || h.src.LastError() == nil {
				t.Fatalf("PollOnce = %v, LastError = %v; want both set", err, h.src.LastError())
			}
			if strings.Contains(err.Error(), "jira-token-secret") {
				t.Error("error leaks the token")
			}
			if c := h.cursor(t); c != "" {
				t.Errorf("cursor advanced to %q after a failed poll", c)
			}
			// Recovery clears LastError.
			h.fake.mu.Lock()
			h.fake.tok, h.fake.fail429 = "jira-token-secret", map[string]int{}
			h.fake.mu.Unlock()
			h.pub.fail = nil
			if err := h.src.PollOnce(t.Context()); err != nil {
				t.Fatalf("recovery poll: %v", err)
			}
			if h.src.LastError() != nil || h.cursor(t) == "" {
				t.Errorf("after recovery LastError = %v, cursor %q", h.src.LastError(), h.cursor(t))
			}
		})
	}
}

// An issue updated in the cursor's minute but not yet searchable when the
// cursor was saved is read by the next poll: the JQL literal is the
// cursor's minute, floored, in the API user's time zone.
func TestPollTimeZoneMinuteOverlap(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	fake := newFakeJira()
	fake.tz = la
	seen := time.Date(2026, 3, 2, 10, 15, 40, 0, time.UTC)
	fake.issues = []*fakeIssue{
		{ID: "1", Key: "AUTH-10", Type: "Task", StatusID: "1", Created: seen.Add(-time.Hour), Updated: seen},
		{ID: "2", Key: "AUTH-11", Type: "Task", StatusID: "3", Created: seen.Add(-time.Hour), Updated: seen.Add(10 * time.Second), Hidden: true},
	}
	h := newHarness(t, fake, func(c *Config) { c.Overlap = dur(time.Second) })
	h.now = seen.Add(20 * time.Second)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if c := h.cursor(t); c != seen.Format(time.RFC3339Nano) {
		t.Fatalf("cursor = %s, want %s", c, seen.Format(time.RFC3339Nano))
	}
	fake.issues[1].Hidden = false // indexed late
	h.now = seen.Add(2 * time.Minute)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	last := fake.jqls[len(fake.jqls)-1]
	if !strings.Contains(last, `updated >= "2026/03/02 02:15"`) {
		t.Errorf("JQL %q: want the cursor minute in the user's zone (02:15 in Los Angeles)", last)
	}
	if _, ok := h.pub.byID["jira:2:updated:"+ms(seen.Add(10*time.Second))]; !ok {
		t.Errorf("issue updated in the cursor's minute was missed; got %v", h.pub.ids())
	}
	if c := h.cursor(t); c != seen.Add(10*time.Second).Format(time.RFC3339Nano) {
		t.Errorf("cursor = %s", c)
	}
}

func TestPollDataCenter(t *testing.T) {
	fake := newFakeJira()
	fake.dc = true
	scenario(fake)
	fake.pageSize = 2
	h := newHarness(t, fake, nil)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(h.pub.ids()); got != 11 {
		t.Errorf("events = %d, want 11: %v", got, h.pub.ids())
	}
	if fake.calls["/rest/api/2/search"] != 2 || fake.calls["/rest/api/2/issue/AUTH-2/changelog"] != 0 {
		t.Errorf("calls = %v: want 2 offset pages and no changelog reads (complete on Data Center)", fake.calls)
	}
	if fake.auth[0] != "Bearer jira-token-secret" {
		t.Errorf("Authorization %q, want the personal access token as Bearer", fake.auth[0])
	}
}

func ms(t time.Time) string { return jsonNumber(t.UnixMilli()) }

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// golden compares v as JSON with testdata/name; baseURL (the fake's random
// address) is written as https://acme.atlassian.net.
func golden(t *testing.T, name, baseURL string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(bytes.ReplaceAll(got, []byte(baseURL), []byte("https://acme.atlassian.net")), '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n%s", name, got)
	}
}

// eventKinds summarizes events as "ID kind" lines.
func eventKinds(evs []event.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.ID+" "+e.Kind)
	}
	slices.Sort(out)
	return out
}

func TestRunPollsAndStops(t *testing.T) {
	fake := newFakeJira()
	scenario(fake)
	h := newHarness(t, fake, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- h.src.Run(ctx) }()
	deadline := time.After(5 * time.Second)
	for len(h.pub.ids()) == 0 {
		select {
		case <-deadline:
			t.Fatal("Run did not poll")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil on cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}
