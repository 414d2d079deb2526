package linear

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files")

// linearScenario: a completed issue with project, cycle, parent, estimate and
// relations; a canceled one; a blocked one; a fresh one; one in another team
// and one outside the backfill window; two projects.
func linearScenario(f *linearFake) {
	f.key = "lin_api_poll_key"
	f.now = lt0
	f.issues = []map[string]any{
		linIssue("iss-1", 1, "completed", "Done", lt0.Add(-5*time.Hour), lt0.Add(-time.Hour), map[string]any{
			"startedAt": iso(lt0.Add(-4 * time.Hour)), "completedAt": iso(lt0.Add(-time.Hour)), "estimate": 3,
			"project": map[string]any{"id": "proj-1", "name": "Passkeys"}, "cycle": map[string]any{"id": "cyc-12", "number": 12, "name": "Cycle 12"},
			"parent": map[string]any{"identifier": "ENG-100"}, "labels": map[string]any{"nodes": []any{map[string]any{"name": "auth"}}},
			"relations": map[string]any{"nodes": []any{map[string]any{"type": "blocks", "relatedIssue": map[string]any{"identifier": "ENG-7"}}}},
		}),
		linIssue("iss-2", 2, "canceled", "Canceled", lt0.Add(-2*time.Hour), lt0.Add(-30*time.Minute), map[string]any{"canceledAt": iso(lt0.Add(-30 * time.Minute))}),
		linIssue("iss-3", 3, "started", "In Progress", lt0.Add(-10*time.Minute), lt0.Add(-5*time.Minute), map[string]any{
			"startedAt": iso(lt0.Add(-9 * time.Minute)), "labels": map[string]any{"nodes": []any{map[string]any{"name": "blocked"}}}}),
		linIssue("iss-4", 4, "backlog", "Backlog", lt0.Add(-3*time.Minute), lt0.Add(-3*time.Minute), nil),
		linIssue("iss-5", 1, "started", "In Progress", lt0.Add(-time.Hour), lt0.Add(-time.Hour), map[string]any{
			"identifier": "OPS-1", "team": map[string]any{"id": "team-ops", "key": "OPS"}}),
		linIssue("iss-6", 6, "completed", "Done", lt0.Add(-200*24*time.Hour), lt0.Add(-100*24*time.Hour), nil),
	}
	f.projects = []map[string]any{
		{"id": "proj-1", "name": "Passkeys", "url": "https://linear.app/acme/project/passkeys", "createdAt": iso(lt0.Add(-48 * time.Hour)),
			"updatedAt": iso(lt0.Add(-time.Hour)), "startedAt": iso(lt0.Add(-40 * time.Hour)), "completedAt": nil, "canceledAt": nil,
			"progress": 0.5, "status": map[string]any{"name": "In Progress", "type": "started"}, "lead": map[string]any{"id": "user-ada"},
			"teams": []any{"ENG"}},
		{"id": "proj-2", "name": "SSO", "url": "https://linear.app/acme/project/sso", "createdAt": iso(lt0.Add(-96 * time.Hour)),
			"updatedAt": iso(lt0.Add(-2 * time.Hour)), "startedAt": iso(lt0.Add(-90 * time.Hour)), "completedAt": iso(lt0.Add(-2 * time.Hour)),
			"canceledAt": nil, "progress": 1, "status": map[string]any{"name": "Completed", "type": "completed"}, "lead": nil,
			"teams": []any{"ENG"}},
	}
}

func TestLinearPollEvents(t *testing.T) {
	fake := &linearFake{}
	linearScenario(fake)
	h := newLinearHarness(t, fake, func(c *Config) { c.PageSize = 2 })
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	if h.src.LastError() != nil {
		t.Errorf("LastError = %v", h.src.LastError())
	}
	linearGolden(t, "poll_events.golden.json", h.pub.events())
	if fake.calls != 3 {
		t.Errorf("requests = %d, want 3 (two issue pages, one project page)", fake.calls)
	}
	if got := h.cursor(t, "issues:"+h.src.key); got != lt0.Add(-3*time.Minute).Format(time.RFC3339Nano) {
		t.Errorf("issues cursor = %q", got)
	}
	if got := h.cursor(t, "projects:"+h.src.key); got != lt0.Add(-time.Hour).Format(time.RFC3339Nano) {
		t.Errorf("projects cursor = %q", got)
	}
	// The second poll reads from cursor - overlap and publishes nothing new.
	before := h.pub.ids()
	fake.now = lt0.Add(time.Minute)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := dig(fake.filters[len(fake.filters)-2], "updatedAt", "gte"); got != "2026-03-02T09:55:00.000Z" {
		t.Errorf("second issues poll from %v, want cursor minus the 2m overlap", got)
	}
	if !slices.Equal(before, h.pub.ids()) {
		t.Errorf("re-poll changed the events: %v", h.pub.ids())
	}
}

// Projects are read for the configured teams only (a project shared with
// one of them included), by Linear's filter; with no teams, all are.
func TestLinearPollProjectsByTeam(t *testing.T) {
	project := func(id string, teams ...any) map[string]any {
		return map[string]any{"id": id, "name": id, "url": "https://linear.app/acme/project/" + id,
			"createdAt": iso(lt0.Add(-48 * time.Hour)), "updatedAt": iso(lt0.Add(-time.Hour)), "teams": teams}
	}
	tests := []struct {
		name       string
		teams      []string
		wantFilter any // accessibleTeams sent
		want       []string
	}{
		{"one team", []string{"ENG"}, map[string]any{"some": map[string]any{"key": map[string]any{"in": []any{"ENG"}}}},
			[]string{"proj-eng", "proj-shared"}},
		{"two teams", []string{"OPS", "WEB"}, map[string]any{"some": map[string]any{"key": map[string]any{"in": []any{"OPS", "WEB"}}}},
			[]string{"proj-ops", "proj-shared"}},
		{"no teams: every project", nil, nil, []string{"proj-eng", "proj-ops", "proj-shared"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &linearFake{key: "lin_api_poll_key", now: lt0}
			fake.projects = []map[string]any{project("proj-eng", "ENG"), project("proj-ops", "OPS"), project("proj-shared", "ENG", "OPS")}
			h := newLinearHarness(t, fake, func(c *Config) { c.Teams = tt.teams })
			if err := h.src.PollOnce(t.Context()); err != nil {
				t.Fatalf("PollOnce: %v", err)
			}
			var got []string
			for _, ev := range h.pub.events() {
				if !slices.Contains(got, ev.Attrs["project_id"]) {
					got = append(got, ev.Attrs["project_id"])
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("projects = %v, want %v", got, tt.want)
			}
			sent := fake.filters[len(fake.filters)-1]
			if at, ok := sent["accessibleTeams"]; !reflect.DeepEqual(at, tt.wantFilter) || ok != (tt.wantFilter != nil) {
				t.Errorf("accessibleTeams = %v, want %v", at, tt.wantFilter)
			}
			if h.cursor(t, "projects:"+h.src.key) == "" {
				t.Error("projects cursor not saved under the teams' key")
			}
		})
	}
}

// A polled issue in the trash gives only its deletion, with the ID the
// remove webhook gives; an archived issue not in the trash is as before.
func TestLinearPollTrashedIssue(t *testing.T) {
	trashedAt := lt0.Add(-90 * time.Minute)
	trashed := linIssue("iss-7", 7, "started", "In Progress", lt0.Add(-5*time.Hour), lt0.Add(-2*time.Hour),
		map[string]any{"trashed": true, "archivedAt": iso(trashedAt)})
	archived := linIssue("iss-8", 8, "completed", "Done", lt0.Add(-5*time.Hour), lt0.Add(-2*time.Hour),
		map[string]any{"completedAt": iso(lt0.Add(-2 * time.Hour)), "archivedAt": iso(lt0.Add(-time.Hour)), "trashed": nil})
	fake := &linearFake{key: "lin_api_poll_key", now: lt0, issues: []map[string]any{trashed, archived}}
	h := newLinearHarness(t, fake, nil)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	wantID := "linear:iss-7:deleted:" + strconv.FormatInt(trashedAt.UnixMilli(), 10)
	var got7, got8 []string
	for _, ev := range h.pub.events() {
		if ev.Attrs["issue_id"] == "iss-7" {
			got7 = append(got7, ev.ID)
		} else {
			got8 = append(got8, ev.Kind)
		}
	}
	if !slices.Equal(got7, []string{wantID}) {
		t.Errorf("trashed issue events = %v, want only %s", got7, wantID)
	}
	if ev := h.pub.byID[wantID]; ev.Kind != event.KindIssueDeleted || ev.Unit != "ENG-7" || ev.Attrs["status_category"] != "" {
		t.Errorf("deletion = %+v", ev)
	}
	if !slices.Contains(got8, event.KindIssueCompleted) || slices.Contains(got8, event.KindIssueDeleted) {
		t.Errorf("archived issue kinds = %v, want its completion and no deletion", got8)
	}
	// The remove webhook for the same deletion gives the same event ID.
	body, err := json.Marshal(map[string]any{"action": "remove", "type": "Issue", "createdAt": iso(trashedAt),
		"data": trashed, "webhookTimestamp": lt0.UnixMilli()})
	if err != nil {
		t.Fatal(err)
	}
	pub := &recPublisher{}
	if rec := linDeliver(newLinearWebhook(t, pub, lt0), body, linSign(linHookSecret, body), 0); rec.Code != 200 {
		t.Fatalf("webhook status %d: %s", rec.Code, rec.Body)
	}
	if !slices.Equal(pub.ids(), []string{wantID}) {
		t.Errorf("webhook ids = %v, want [%s]", pub.ids(), wantID)
	}
}

func TestLinearPollRateLimited(t *testing.T) {
	fake := &linearFake{}
	linearScenario(fake)
	fake.rateLimited = 2
	h := newLinearHarness(t, fake, nil)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatalf("PollOnce: %v", err)
	}
	if want := []time.Duration{5 * time.Second, 5 * time.Second}; !slices.Equal(h.waits, want) {
		t.Errorf("waits = %v, want %v (requests reset header)", h.waits, want)
	}
	if got := len(h.pub.ids()); got != 13 {
		t.Errorf("events = %d, want 13", got)
	}
}

func TestLinearPollErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*linearFake, *recPublisher)
		check func(*testing.T, error)
	}{
		{"publish fails", func(_ *linearFake, p *recPublisher) { p.fail = errors.New("stream down") }, nil},
		{"bad API key", func(f *linearFake, _ *recPublisher) { f.key = "lin_api_other" }, func(t *testing.T, err error) {
			var e *Error
			if !errors.As(err, &e) || !e.IsPermanent() || e.Code != "AUTHENTICATION_ERROR" {
				t.Errorf("err = %v, want a permanent AUTHENTICATION_ERROR", err)
			}
		}},
		{"rate limited beyond attempts", func(f *linearFake, _ *recPublisher) { f.rateLimited = 100 }, func(t *testing.T, err error) {
			var e *Error
			if !errors.As(err, &e) || !e.IsRateLimited() || e.RetryAfter != 5*time.Second {
				t.Errorf("err = %v, want rate limited with RetryAfter 5s", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &linearFake{}
			linearScenario(fake)
			h := newLinearHarness(t, fake, nil)
			tt.setup(fake, h.pub)
			err := h.src.PollOnce(t.Context())
			if err == nil || h.src.LastError() == nil {
				t.Fatalf("PollOnce = %v, LastError %v", err, h.src.LastError())
			}
			if strings.Contains(err.Error(), "lin_api_poll_key") {
				t.Error("error leaks the API key")
			}
			if tt.check != nil {
				tt.check(t, err)
			}
			if c := h.cursor(t, "issues:"+h.src.key); c != "" {
				t.Errorf("cursor advanced to %q", c)
			}
		})
	}
}

func TestLinearRunStopsOnCancel(t *testing.T) {
	fake := &linearFake{}
	linearScenario(fake)
	h := newLinearHarness(t, fake, nil)
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

func linearGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *updateGolden {
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
