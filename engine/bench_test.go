package engine

import (
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/people"
)

// benchObjectives returns 200 key results of every type over 200 repos and
// 50 epics: 100 counts of shipped changes, 50 counts of Jira issues done,
// 25 median lead times, 25 epic ratios.
func benchObjectives() []rules.Objective {
	var objs []rules.Objective
	for o := range 40 {
		obj := rules.Objective{Key: fmt.Sprintf("O%d", o), Title: "bench", Period: "2026-Q4"}
		for k := range 5 {
			i := o*5 + k
			obj.KeyResults = append(obj.KeyResults, benchKR(i))
		}
		objs = append(objs, obj)
	}
	return objs
}

func benchKR(i int) rules.KeyResult {
	key := fmt.Sprintf("kr%03d", i)
	switch {
	case i < 100:
		return rules.KeyResult{Key: key, Type: rules.TypeCount, Target: 50, NotionPage: "page-" + key,
			Match: fmt.Sprintf(`source == "github" && kind == "change.shipped" && repo == "acme/r%d"`, i)}
	case i < 150:
		return rules.KeyResult{Key: key, Type: rules.TypeCount, Target: 50,
			Match: fmt.Sprintf(`source == "jira" && kind == "issue.completed" && attrs.epic == "E-%d"`, i-100)}
	case i < 175:
		return rules.KeyResult{Key: key, Type: rules.TypeMetric, Aggregate: rules.AggMedian, Field: "lead_time_seconds",
			DivideBy: 60, Baseline: 60, Target: 10,
			Match: fmt.Sprintf(`kind == "change.shipped" && repo == "acme/r%d"`, i-150)}
	default:
		return rules.KeyResult{Key: key, Type: rules.TypeRatio, Scope: fmt.Sprintf("epic:E-%d", i-175), Target: 80}
	}
}

// benchEvent is the n-th event of a synthetic stream: shipped changes and
// merged PRs over 200 repos, Jira issue updates over 50 epics.
func benchEvent(n int) event.Event {
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * 7 * time.Second)
	repo := fmt.Sprintf("acme/r%d", n%200)
	switch n % 4 {
	case 0, 1:
		pr := fmt.Sprintf("%s#%d", repo, n)
		return event.Event{ID: "gh:shipped:" + pr, Source: "github", Kind: event.KindChangeShipped, OccurredAt: at,
			ActorHandle: fmt.Sprintf("dev%d", n%40), Repo: repo, Unit: pr, Title: "change", URL: "https://github.com/" + pr,
			Links: []string{fmt.Sprintf("E%d-%d", n%50, n)}, Numbers: map[string]float64{"lead_time_seconds": float64(60 + n%3600)}}
	case 2:
		pr := fmt.Sprintf("%s#%d", repo, n)
		return event.Event{ID: "gh:pr:" + pr + ":merged", Source: "github", Kind: event.KindPullRequestMerged, OccurredAt: at,
			ActorHandle: fmt.Sprintf("dev%d", n%40), Repo: repo, Unit: pr, Title: "merge"}
	}
	issue := fmt.Sprintf("E%d-%d", n%50, n/8)
	cat := []string{"new", "indeterminate", "done"}[n%3]
	kind := map[string]string{"new": event.KindIssueCreated, "indeterminate": event.KindIssueUpdated, "done": event.KindIssueCompleted}[cat]
	return event.Event{ID: fmt.Sprintf("jira:%s:%d", issue, n), Source: "jira", Kind: kind, OccurredAt: at,
		ActorHandle: fmt.Sprintf("acc-%d", n%40), Repo: "E", Unit: issue, Title: "issue",
		Attrs: map[string]string{"status_category": cat, "epic": fmt.Sprintf("E-%d", n%50)}}
}

func benchEngine(b *testing.B, path string) (*Engine, *store.Store) {
	b.Helper()
	st, err := store.Open(b.Context(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	set, err := rules.Compile(benchObjectives())
	if err != nil {
		b.Fatal(err)
	}
	var ppl []people.Person
	for i := range 40 {
		ppl = append(ppl, people.Person{Key: fmt.Sprintf("p%d", i), GitHub: fmt.Sprintf("dev%d", i), Jira: fmt.Sprintf("acc-%d", i)})
	}
	dir, err := people.New(ppl, nil)
	if err != nil {
		b.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	return New(set, dir, st, WithClock(now)), st
}

// BenchmarkHandle measures events per second through Handle with 200 key
// results: in batches of 256 (the pipeline consumer's batch size, where a
// batch touches nearly every key result) and one event at a time (a quiet
// webhook stream: one transaction per event).
func BenchmarkHandle(b *testing.B) {
	for _, batch := range []int{256, 1} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			eng, _ := benchEngine(b, filepath.Join(b.TempDir(), "bench.db"))
			evs := make([]event.Event, 0, batch)
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				evs = append(evs, benchEvent(n))
				if len(evs) == batch || n == b.N-1 {
					if err := eng.Handle(b.Context(), evs); err != nil {
						b.Fatal(err)
					}
					evs = evs[:0]
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkMatch measures matching alone (200 key results, indexed).
func BenchmarkMatch(b *testing.B) {
	set, err := rules.Compile(benchObjectives())
	if err != nil {
		b.Fatal(err)
	}
	evs := make([]event.Event, 1024)
	cands := 0
	for i := range evs {
		evs[i] = benchEvent(i)
		cands += set.Candidates(evs[i].Source, evs[i].Kind, evs[i].Repo, rules.IsIssueState(&evs[i]))
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		set.Match(&evs[n%len(evs)], "", nil)
	}
	b.ReportMetric(float64(cands)/float64(len(evs)), "rules-evaluated/event")
	b.ReportMetric(float64(len(set.Rules())), "rules")
}

// BenchmarkRebuild measures a rebuild (replay of every stored event) over
// GOALPOST_BENCH_EVENTS stored events (default 100000; set 1000000 for the
// figure in docs/BENCHMARKS.md) against its same-run baseline, the raw
// SQLite insert of the same events (seed), and reports the store's size per
// million events after the rebuild. Times are the process's CPU time.
// GOALPOST_BENCH_DB names a new file to build the store in and leave behind
// (for a breakdown by table with sqlite3's dbstat).
func BenchmarkRebuild(b *testing.B) {
	total := 100_000
	if v, err := strconv.Atoi(os.Getenv("GOALPOST_BENCH_EVENTS")); err == nil && v > 0 {
		total = v
	}
	path := os.Getenv("GOALPOST_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "rebuild.db")
	}
	eng, st := benchEngine(b, path)
	start := cpuTime(b)
	seed(b, st, total)
	insert := cpuTime(b) - start
	b.ResetTimer()
	start = cpuTime(b)
	for range b.N {
		if err := eng.Rebuild(b.Context(), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	rebuild := (cpuTime(b) - start) / time.Duration(b.N)
	b.StopTimer()
	b.ReportMetric(float64(total)/rebuild.Seconds(), "events/cpu-s")
	b.ReportMetric(float64(rebuild)/float64(insert), "rebuild/insert")
	b.ReportMetric(float64(dbBytes(b, path))/float64(total), "bytes/event")
}

// dbBytes is the size of the SQLite database at path with its WAL, once the
// WAL is checkpointed into the database.
func dbBytes(b *testing.B, path string) int64 {
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(b.Context(), `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	_ = db.Close()
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// seed stores total synthetic events without evaluating them.
func seed(b *testing.B, st *store.Store, total int) {
	b.Helper()
	const chunk = 20_000
	for start := 0; start < total; start += chunk {
		err := st.InTx(b.Context(), func(tx *store.Tx) error {
			for n := start; n < min(start+chunk, total); n++ {
				if _, err := tx.InsertEvent(b.Context(), benchEvent(n)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGrowth measures the cost of one event through Handle (one event
// per transaction, a webhook stream) with 200 key results after
// GOALPOST_BENCH_GROWTH stored events (default "10000,100000"), evaluating
// from the incremental state and, on the next events of the same store, by
// the reference queries (from scratch, as before ADR 11), event by event
// in turn. The history is
// stored and rebuilt before timing; the clock follows the events.
func BenchmarkGrowth(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if v := os.Getenv("GOALPOST_BENCH_GROWTH"); v != "" {
		sizes = sizes[:0]
		for _, s := range strings.Split(v, ",") {
			n, err := strconv.Atoi(s)
			if err != nil {
				b.Fatal(err)
			}
			sizes = append(sizes, n)
		}
	}
	for _, size := range sizes {
		b.Run(fmt.Sprintf("stored=%d", size), func(b *testing.B) {
			eng, st := benchEngine(b, filepath.Join(b.TempDir(), "growth.db"))
			seed(b, st, size)
			var at time.Time
			eng.now = func() time.Time { return at }
			at = benchEvent(size).OccurredAt
			if err := eng.Rebuild(b.Context(), io.Discard); err != nil {
				b.Fatal(err)
			}
			perEvent := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
			// Alternate the two, event by event, so that the machine's noise
			// falls on both alike; count the process's CPU time, which other
			// jobs on the machine do not inflate as they do wall time.
			// The third arm stores the event alone (a transaction with one
			// insert): what SQLite itself costs at this size.
			var took [3]time.Duration
			b.ResetTimer()
			for n := range 3 * b.N {
				ev := benchEvent(size + n)
				at = ev.OccurredAt.Add(time.Second)
				eng.reference = n%3 == 1
				start := cpuTime(b)
				var err error
				if n%3 == 2 {
					err = st.InTx(b.Context(), func(tx *store.Tx) error { _, err := tx.InsertEvent(b.Context(), ev); return err })
				} else {
					err = eng.Handle(b.Context(), []event.Event{ev})
				}
				if err != nil {
					b.Fatal(err)
				}
				took[n%3] += cpuTime(b) - start
			}
			b.StopTimer()
			inc, ref := took[0], took[1]
			b.ReportMetric(perEvent(took[2]), "cpu-µs/insert-only")
			b.ReportMetric(perEvent(inc), "cpu-µs/event")
			b.ReportMetric(perEvent(ref), "cpu-µs/event-reference")
			b.ReportMetric(float64(ref)/float64(inc), "speedup")
		})
	}
}

// cpuTime is the CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}
