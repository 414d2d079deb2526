package engine

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules/calendar"
)

var update = flag.Bool("update", false, "rewrite the golden output files in testdata/")

const baselineConfig = `
[[teams]]
name = "web"
time_zone = "Europe/London"

[[teams]]
name = "ops"
time_zone = "America/New_York"

[[people]]
key = "alice"
github = "alice"
team = "web"

[[people]]
key = "bob"
github = "bob"
time_zone = "Australia/Sydney"
team = "web"

[[people]]
key = "carol"
github = "carol"
team = "web"

[[people]]
key = "dan"
github = "dan"
team = "web"
role = "manager"

[[people]]
key = "erin"
github = "erin"
jira = "acc-erin"
team = "ops"
`

func shippedEv(n, who, at string) event.Event {
	return event.Event{ID: "gh:shipped:acme/api#" + n, Source: "github", Kind: event.KindChangeShipped,
		OccurredAt: mustTime(at), ActorHandle: who, Repo: "acme/api", Title: "Change " + n,
		URL: "https://github.com/acme/api/pull/" + n, Unit: "acme/api#" + n, Environment: "production"}
}

func otherEv(id, source, kind, who, at string) event.Event {
	return event.Event{ID: id, Source: source, Kind: kind, OccurredAt: mustTime(at), ActorHandle: who}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func baselineHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, decodeConfig(t, []byte(baselineConfig)), mustTime("2026-11-18T12:00:00Z"))
	evs := []event.Event{
		shippedEv("1", "bob", "2026-10-28T03:00:00Z"),   // W44 for bob
		shippedEv("2", "alice", "2026-11-03T10:00:00Z"), // W45
		otherEv("gh:pr:acme/api#3:merged", "github", event.KindPullRequestMerged, "bob", "2026-11-04T02:00:00Z"),
		// Sunday 23:30 UTC: still W46 in London, already Monday of W47 in Sydney.
		shippedEv("4", "alice", "2026-11-15T23:30:00Z"),
		shippedEv("5", "bob", "2026-11-15T23:30:00Z"),
		shippedEv("6", "erin", "2026-11-10T15:00:00Z"),
		otherEv("jira:OPS-1:created", "jira", event.KindIssueCreated, "acc-erin", "2026-11-03T15:00:00Z"),
		otherEv("gh:pr:acme/api#7:merged", "github", event.KindPullRequestMerged, "ghost", "2026-11-10T12:00:00Z"),
		otherEv("gh:pr:acme/api#8:merged", "github", event.KindPullRequestMerged, "ghost", "2026-11-11T12:00:00Z"),
		otherEv("gh:pr:acme/api#9:merged", "github", event.KindPullRequestMerged, "dependabot[bot]", "2026-11-12T12:00:00Z"),
	}
	if err := h.eng.Handle(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestBaselineGrid(t *testing.T) {
	h := baselineHarness(t)
	g, err := h.eng.Baseline(t.Context(), 3, "web")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2026-W45", "2026-W46", "2026-W47"}; len(g.Weeks) != 3 || g.Weeks[0].String() != want[0] || g.Weeks[2].String() != want[2] {
		t.Fatalf("weeks %v, want %v", g.Weeks, want)
	}
	type cell struct {
		shipped                       int
		miss, two, silent, inProgress bool
	}
	want := map[string][]cell{
		"alice": {{1, false, false, false, false}, {1, false, false, false, false}, {0, false, false, false, true}},
		"bob":   {{0, true, false, false, false}, {0, true, true, true, false}, {1, false, false, false, true}},
		"carol": {{0, true, false, true, false}, {0, true, true, true, false}, {0, false, false, false, true}},
	}
	if len(g.Rows) != len(want) {
		t.Fatalf("rows %d, want %d (managers and other teams excluded)", len(g.Rows), len(want))
	}
	for _, r := range g.Rows {
		for i, c := range r.Cells {
			got := cell{c.Shipped, c.Miss, c.TwoInARow, c.Silent, c.InProgress}
			if got != want[r.Person][i] {
				t.Errorf("%s %s: %+v, want %+v", r.Person, c.Week, got, want[r.Person][i])
			}
		}
	}
	bob := g.Rows[1]
	if bob.Person != "bob" || bob.Cells[2].Week.String() != "2026-W47" || len(bob.Cells[2].Items) != 1 || bob.Cells[2].Items[0].Unit != "acme/api#5" {
		t.Errorf("bob's Sunday 23:30 UTC ship should land in his Monday week W47: %+v", bob.Cells[2])
	}
	if !bob.TwoInARow || !bob.Silent {
		t.Errorf("bob: two in a row %v, silent %v; want both for his last finished week", bob.TwoInARow, bob.Silent)
	}
	for i, c := range g.Coverage {
		if c.Met != 1 || c.Engineers != 3 {
			t.Errorf("coverage %s: %d/%d, want 1/3", g.Weeks[i], c.Met, c.Engineers)
		}
	}
	if len(g.Unmapped) != 2 || g.Unmapped[0].Handle != "ghost" || g.Unmapped[0].Events != 2 || g.Unmapped[1].Handle != "dependabot[bot]" {
		t.Errorf("unmapped %+v", g.Unmapped)
	}
}

func TestBaselineAtIsRepeatable(t *testing.T) {
	h := baselineHarness(t)
	at := mustTime("2026-11-12T00:00:00Z")
	g1, err := h.eng.BaselineAt(t.Context(), at, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Set(mustTime("2027-03-01T00:00:00Z"))
	g2, err := h.eng.BaselineAt(t.Context(), at, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	var b1, b2 bytes.Buffer
	if err := WriteGrid(&b1, g1); err != nil {
		t.Fatal(err)
	}
	_ = WriteGrid(&b2, g2)
	if b1.String() != b2.String() {
		t.Errorf("the same week's grid changed with the clock:\n%s\n%s", b1.String(), b2.String())
	}
	if _, err := h.eng.Baseline(t.Context(), 0, ""); err == nil {
		t.Error("0 weeks: want an error")
	}
	if _, err := h.eng.Baseline(t.Context(), 2, "nope"); err == nil {
		t.Error("unknown team: want an error")
	}
}

func TestWriteBaselineGolden(t *testing.T) {
	h := baselineHarness(t)
	var buf bytes.Buffer
	if err := h.eng.WriteBaseline(t.Context(), 3, &buf); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "baseline.golden"), buf.Bytes())
}

// golden compares got with the file at path, rewriting it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// Each column is one week of the team's calendar; a person's cell in it is
// their own local version of that week, even when at falls on a different
// day for them (their week has already started, or not yet).
func TestBaselineColumnsLineUp(t *testing.T) {
	h := baselineHarness(t)
	tests := []struct{ name, at string }{
		{"Sunday 15:00 UTC, already Monday in Sydney", "2026-11-15T15:00:00Z"},
		{"Monday 02:00 UTC, still Sunday in New York", "2026-11-16T02:00:00Z"},
		{"midweek", "2026-11-18T12:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := h.eng.BaselineAt(t.Context(), mustTime(tt.at), 3, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range g.Rows {
				for i, c := range r.Cells {
					if c.Week != g.Weeks[i] {
						t.Errorf("%s: column %s holds their week %s", r.Person, g.Weeks[i], c.Week)
					}
				}
			}
		})
	}
}

// A week is over for everyone once it has ended in the team's calendar (a
// closed week); until then each person's week runs to their own local end.
func TestBaselineWeeksClosesAtTheTeamsEnd(t *testing.T) {
	h := baselineHarness(t)
	w46 := calendar.Week{Year: 2026, Num: 46}
	tests := []struct {
		name       string
		asOf       string
		inProgress map[string]bool // person → their W46 cell in progress
	}{
		{"Sunday 23:00 UTC: over in Sydney only", "2026-11-15T23:00:00Z",
			map[string]bool{"alice": true, "bob": false, "erin": true}},
		{"Monday 02:00 UTC: closed, though still Sunday in New York", "2026-11-16T02:00:00Z",
			map[string]bool{"alice": false, "bob": false, "erin": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := h.eng.BaselineWeeks(t.Context(), "", w46, 2, mustTime(tt.asOf))
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Weeks) != 2 || g.Weeks[1] != w46 {
				t.Fatalf("weeks %v, want the two ending with %s", g.Weeks, w46)
			}
			for _, r := range g.Rows {
				if want, ok := tt.inProgress[r.Person]; ok && r.Cells[1].InProgress != want {
					t.Errorf("%s (%s): in progress %v, want %v", r.Person, r.TimeZone, r.Cells[1].InProgress, want)
				}
			}
		})
	}
}
