package engine

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// propertyConfig has a key result of every type and window: counts,
// a milestone, every metric aggregate over the period and over a trailing
// window, per-week and per-month counts, ratios over two epics.
func propertyConfig(prKind string) []byte {
	src := `
[[objectives]]
key = "O"
period = "2026-Q4"
[[objectives.key_results]]
key = "merged"
type = "count"
target = 30
match = 'kind == "` + prKind + `"'
[[objectives.key_results]]
key = "issues_done"
type = "count"
target = 10
match = 'kind == "issue.completed"'
[[objectives.key_results]]
key = "work"
type = "count"
target = 10
match = 'kind == "pull_request.merged" || kind == "issue.completed"'
[[objectives.key_results]]
key = "work_week"
type = "metric"
aggregate = "count_per_week"
window = "5d"
target = 4
match = 'kind == "change.shipped" || kind == "issue.completed"'
[[objectives.key_results]]
key = "deployed"
type = "milestone"
target = 1
match = 'kind == "deployment.succeeded"'
[[objectives.key_results]]
key = "per_week"
type = "metric"
aggregate = "count_per_week"
window = "9d"
target = 5
match = 'kind == "change.shipped"'
[[objectives.key_results]]
key = "per_month"
type = "metric"
aggregate = "count_per_month"
target = 20
match = 'kind == "change.shipped"'
[[objectives.key_results]]
key = "epic1"
type = "ratio"
scope = "epic:E-1"
target = 100
[[objectives.key_results]]
key = "epic2"
type = "ratio"
scope = "epic:E-2"
target = 80
`
	src += calendarWindowObjective
	for _, agg := range []string{"median", "p95", "avg", "sum", "min", "max", "last"} {
		for _, w := range []string{"", "6d"} {
			src += fmt.Sprintf(`[[objectives.key_results]]
key = "%s%s"
type = "metric"
aggregate = "%s"
field = "lead_time_seconds"
divide_by = 60
baseline = 100
target = 10
window = "%s"
match = 'kind == "change.shipped" || kind == "pull_request.merged"'
`, agg, w, agg, w)
		}
	}
	return []byte(src)
}

// calendarWindowObjective has key results over calendar windows in Los
// Angeles (the stream crosses weeks, the end of October and the November
// daylight-saving change) and in Kolkata, on a team's Sunday week start.
var calendarWindowObjective = func() string {
	src := "[[teams]]\nname = \"in\"\ntime_zone = \"Asia/Kolkata\"\nweek_start = \"sunday\"\n"
	kr := func(key, w, body string) string {
		return fmt.Sprintf("[[objectives.key_results]]\nkey = %q\nwindow = %q\n%s\n", key+"_"+w, w, body)
	}
	const count = "type = \"count\"\ntarget = 10\nmatch = 'kind == \"change.shipped\" || kind == \"issue.completed\"'"
	const perWeek = "type = \"metric\"\naggregate = \"count_per_week\"\ntarget = 5\nmatch = 'kind == \"change.shipped\"'"
	const median = "type = \"metric\"\naggregate = \"median\"\nfield = \"lead_time_seconds\"\nbaseline = 100\ntarget = 10\n" +
		"match = 'kind == \"change.shipped\" || kind == \"pull_request.merged\"'"
	for _, obj := range []struct{ key, where string }{{"LA", "time_zone = \"America/Los_Angeles\""}, {"IN", "team = \"in\""}} {
		src += fmt.Sprintf("[[objectives]]\nkey = %q\nperiod = \"2026-Q4\"\n%s\n", obj.key, obj.where)
		for _, w := range []string{"week", "last_week", "month", "last_month", "quarter", "last_quarter"} {
			src += kr(obj.key+"_count", w, count)
		}
		src += kr(obj.key+"_per_week", "last_week", perWeek) + kr(obj.key+"_per_week", "month", perWeek)
		src += kr(obj.key+"_median", "last_month", median) + kr(obj.key+"_median", "week", median)
	}
	return src
}()

// streamGen makes random events: merged and shipped PRs that link issues,
// deploys, issue states over two epics (done, reopened, canceled, blocked,
// deleted, moved between epics), out of order, some before the period,
// some a little ahead of the clock, some sent twice.
type streamGen struct {
	rnd  *rand.Rand
	sent []event.Event
	seq  int
}

func (g *streamGen) at(now time.Time) time.Time {
	switch g.rnd.IntN(10) {
	case 0:
		return now.Add(time.Duration(g.rnd.IntN(120)) * time.Second) // ahead of our clock
	case 1:
		return mustTime("2026-09-20T00:00:00Z").Add(time.Duration(g.rnd.IntN(15*24)) * time.Hour)
	}
	return now.Add(-time.Duration(g.rnd.IntN(20*24*60)) * time.Minute).Truncate(time.Second)
}

func (g *streamGen) event(now time.Time) event.Event {
	if len(g.sent) > 0 && g.rnd.IntN(8) == 0 {
		return g.sent[g.rnd.IntN(len(g.sent))] // a redelivery
	}
	g.seq++
	var ev event.Event
	switch g.rnd.IntN(6) {
	case 0, 1:
		pr := fmt.Sprintf("acme/api#%d", g.rnd.IntN(25))
		kind := []string{event.KindPullRequestMerged, event.KindChangeShipped, event.KindPullRequestOpened}[g.rnd.IntN(3)]
		ev = event.Event{ID: fmt.Sprintf("gh:%s:%s:%d", pr, kind, g.seq), Source: "github", Kind: kind, Repo: "acme/api",
			Unit: pr, Title: "change " + pr, OccurredAt: g.at(now), ActorHandle: "dev",
			Numbers: map[string]float64{"lead_time_seconds": float64(g.rnd.IntN(5000)) + float64(g.rnd.IntN(4))/4}}
		if g.rnd.IntN(2) == 0 {
			ev.Links = []string{fmt.Sprintf("A-%d", g.rnd.IntN(12))}
		}
	case 2:
		ev = event.Event{ID: fmt.Sprintf("deploy:%d", g.seq), Source: "deploy", Kind: event.KindDeploymentSucceeded,
			Repo: "acme/api", OccurredAt: g.at(now), Title: "deploy"}
	default:
		ev = g.issue(now)
	}
	g.sent = append(g.sent, ev)
	return ev
}

func (g *streamGen) issue(now time.Time) event.Event {
	unit := fmt.Sprintf("A-%d", g.rnd.IntN(12))
	at := g.at(now)
	if g.rnd.IntN(12) == 0 {
		return event.Event{ID: fmt.Sprintf("jira:%s:deleted:%d", unit, g.seq), Source: "jira", Kind: event.KindIssueDeleted,
			Unit: unit, OccurredAt: at, Attrs: map[string]string{"deleted": "true"}}
	}
	cat := []string{"new", "indeterminate", "done"}[g.rnd.IntN(3)]
	kind := map[string]string{"new": event.KindIssueReopened, "indeterminate": event.KindIssueUpdated, "done": event.KindIssueCompleted}[cat]
	attrs := map[string]string{"status_category": cat, "epic": fmt.Sprintf("E-%d", 1+g.rnd.IntN(2))}
	switch g.rnd.IntN(6) {
	case 0:
		attrs["resolution"] = "Won't Do"
	case 1:
		attrs["blocked"] = "true"
	}
	return event.Event{ID: fmt.Sprintf("jira:%s:%d", unit, g.seq), Source: "jira", Kind: kind, Unit: unit,
		Title: "issue " + unit, OccurredAt: at, ActorHandle: "acc", Attrs: attrs}
}

// TestIncrementalEqualsReference is the property test of ADR 11: over random
// event streams (redeliveries, out of order, deletions, reopenings, rule
// changes with a rebuild, restarts, a clock that sometimes steps back), an
// engine evaluating from its incremental state stores byte for byte the
// results, snapshots and writes of an engine that recomputes every key
// result from scratch, and Check finds no difference. GOALPOST_PROPERTY_SEEDS
// runs more streams.
func TestIncrementalEqualsReference(t *testing.T) {
	seeds := 4
	if v, err := strconv.Atoi(os.Getenv("GOALPOST_PROPERTY_SEEDS")); err == nil && v > 0 {
		seeds = v
	}
	for seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { propertyRun(t, uint64(seed)) })
	}
}

func propertyRun(t *testing.T, seed uint64) {
	rnd := rand.New(rand.NewPCG(seed, 13))
	cfg := decodeConfig(t, propertyConfig(event.KindPullRequestMerged))
	now := mustTime("2026-10-06T09:00:00Z")
	inc, ref := newHarness(t, cfg, now), newHarness(t, cfg, now)
	ref.eng = New(ref.set, ref.dir, ref.st, WithClock(ref.clock.Now), WithHealth(ref.health), WithReference())
	gen := &streamGen{rnd: rnd}
	for step := range 40 {
		switch {
		case rnd.IntN(15) == 0: // a rule change, then a rebuild
			kind := []string{event.KindPullRequestMerged, event.KindChangeShipped}[rnd.IntN(2)]
			changed := decodeConfig(t, propertyConfig(kind))
			inc.compile(t, changed)
			ref.compile(t, changed)
			ref.eng.reference = true
			for _, h := range []*harness{inc, ref} {
				if err := h.eng.Rebuild(t.Context(), io.Discard); err != nil {
					t.Fatal(err)
				}
			}
		case rnd.IntN(10) == 0: // a restart: the engine forgets how far ahead it evaluated
			inc.eng = New(inc.set, inc.dir, inc.st, WithClock(inc.clock.Now), WithHealth(inc.health))
			ref.eng = New(ref.set, ref.dir, ref.st, WithClock(ref.clock.Now), WithHealth(ref.health), WithReference())
		}
		evs := make([]event.Event, 1+rnd.IntN(12))
		for i := range evs {
			evs[i] = gen.event(now)
		}
		tick := rnd.IntN(4) == 0
		for _, h := range []*harness{inc, ref} {
			h.clock.Set(now)
			if err := h.eng.Handle(t.Context(), evs); err != nil {
				t.Fatal(err)
			}
			if tick {
				if err := h.eng.Tick(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
		}
		comparePropertyStores(t, step, inc, ref)
		now = now.Add(time.Duration(rnd.IntN(36*60)-60) * time.Minute) // now and then a step back
	}
}

func comparePropertyStores(t *testing.T, step int, inc, ref *harness) {
	t.Helper()
	bad, err := inc.eng.Check(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range bad {
		t.Errorf("step %d: %s: incremental %s\nreference %s", step, m.KRKey, m.Incremental, m.Reference)
	}
	a, err := inc.st.KRView().States(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ref.st.KRView().States(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("step %d: %d stored results, reference %d", step, len(a), len(b))
	}
	for i := range a {
		if a[i].KRKey != b[i].KRKey || !bytes.Equal(a[i].Result, b[i].Result) {
			t.Errorf("step %d: stored %s differs:\nincremental %s\nreference   %s", step, a[i].KRKey, a[i].Result, b[i].Result)
		}
	}
}
