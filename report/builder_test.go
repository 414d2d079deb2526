package report

import (
	"bytes"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/store/storetest"
	"github.com/goalpost/goalpost/rules/people"
)

func openStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	return storetest.Open(t, filepath.Join(dir, "goalpost.db"))
}

func render(t testing.TB, r *Report, format string) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(r, format, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A finished week is frozen the first time it is built: later changes to the
// data (or to the clock) do not change it.
func TestBuilderFreezesFinishedWeeks(t *testing.T) {
	st := openStore(t, t.TempDir())
	src := loadSource(t)
	b, err := NewBuilder(src, st, []people.Team{platform}, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := b.Report(t.Context(), "platform", week47, reportTime)
	if err != nil {
		t.Fatal(err)
	}
	src.Data.Results[2].Current = 39 // the engine moved on
	later, err := b.Report(t.Context(), "platform", week47, reportTime.Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Formats() {
		if render(t, first, f) != render(t, later, f) {
			t.Errorf("%s: frozen report changed", f)
		}
	}
	if got := render(t, later, FormatMarkdown); got != render(t, buildFixed(t), FormatMarkdown) {
		t.Errorf("frozen report differs from the draft it froze")
	}
	if src.calls != 1 {
		t.Errorf("source read %d times, want once (then the snapshot)", src.calls)
	}
}

func TestBuilderDraftsWeekInProgress(t *testing.T) {
	st := openStore(t, t.TempDir())
	src := loadSource(t)
	b, _ := NewBuilder(src, st, []people.Team{platform}, nil)
	mid := time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)
	r1, err := b.Report(t.Context(), "platform", week47, mid)
	if err != nil {
		t.Fatal(err)
	}
	src.Data.Results[2].Current = 13
	r2, _ := b.Report(t.Context(), "platform", week47, mid.Add(time.Hour))
	if r1.Final || r2.Objectives[1].KRs[0].Current != 13 {
		t.Errorf("week in progress was frozen")
	}
	if _, err := st.ReportSnapshot(t.Context(), "platform", "2026-W47"); err == nil {
		t.Error("snapshot stored for a week in progress")
	}
}

// Two processes freezing the same week at once end up with one report.
func TestBuilderConcurrentFreezeFirstWins(t *testing.T) {
	st := openStore(t, t.TempDir())
	var wg sync.WaitGroup
	out := make([]string, 4)
	for i := range out {
		wg.Go(func() {
			src := loadSource(t)
			src.Data.Results[2].Current = float64(20 + i) // each sees other data
			b, _ := NewBuilder(src, st, []people.Team{platform}, nil)
			r, err := b.Report(t.Context(), "platform", week47, reportTime)
			if err != nil {
				t.Error(err)
				return
			}
			out[i] = render(t, r, FormatJSON)
		})
	}
	wg.Wait()
	for i := range out {
		if out[i] != out[0] {
			t.Fatalf("builder %d got a different frozen report", i)
		}
	}
}

func TestBuilderTeams(t *testing.T) {
	st := openStore(t, t.TempDir())
	b, err := NewBuilder(loadSource(t), st, []people.Team{platform, {Name: "growth", TimeZone: "America/New_York", WeekStart: "sunday"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Teams(); len(got) != 2 || got[0] != "growth" {
		t.Errorf("teams = %v", got)
	}
	if _, err := b.Report(t.Context(), "nope", week47, reportTime); err == nil {
		t.Error("unknown team accepted")
	}
	// Sunday 22 Nov 2026 20:00 in New York is already the next (Sunday-started) week.
	w, err := b.WeekOf("growth", time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	if err != nil || w.String() != "2026-W48" {
		t.Errorf("WeekOf = %v %v", w, err)
	}
	if _, err := NewBuilder(loadSource(t), st, []people.Team{{Name: "a", TimeZone: "Bad/Zone"}}, nil); err == nil {
		t.Error("bad zone accepted")
	}
	if _, err := NewBuilder(loadSource(t), st, []people.Team{platform, platform}, nil); err == nil {
		t.Error("duplicate team accepted")
	}
}
