package report

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// fakeSource is a Source serving a fixed dataset (testdata/dataset.json),
// recording the windows it was asked about.
type fakeSource struct {
	Data struct {
		Results []rules.Result `json:"results"`
		Moved   []Movement     `json:"moved"`
		Grid    Grid           `json:"grid"`
	}
	mu      sync.Mutex
	calls   int
	windows [][2]time.Time
	err     error
}

func loadSource(t testing.TB) *fakeSource {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "dataset.json"))
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{}
	if err := json.Unmarshal(b, &src.Data); err != nil {
		t.Fatal(err)
	}
	return src
}

func (f *fakeSource) Results(context.Context, time.Time) ([]rules.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return append([]rules.Result{}, f.Data.Results...), f.err
}

func (f *fakeSource) Moved(_ context.Context, from, to time.Time) ([]Movement, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.windows = append(f.windows, [2]time.Time{from, to})
	return f.Data.Moved, nil
}

func (f *fakeSource) Baseline(_ context.Context, team string, last calendar.Week, n int, asOf time.Time) (Grid, error) {
	g := f.Data.Grid
	if len(g.Weeks) == 0 {
		return g, errors.New("no grid")
	}
	// Relabel the fixed grid so that it ends with the asked week.
	g.Weeks = nil
	for i := len(f.Data.Grid.Weeks) - 1; i >= 0; i-- {
		g.Weeks = append(g.Weeks, last.Add(-i))
	}
	return g, nil
}

// The fixed dataset's team, week and report time.
var (
	platform   = people.Team{Name: "platform", TimeZone: "Europe/Berlin"}
	week47     = calendar.Week{Year: 2026, Num: 47}
	reportTime = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) // Mon 09:00 CET
)

func buildFixed(t testing.TB) *Report {
	t.Helper()
	r, err := Build(t.Context(), loadSource(t), platform, week47, reportTime, 4)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -run %s -update)", err, t.Name())
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file; run with -update and review the diff\n--- got ---\n%s", name, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the neighbourhood of the first differing byte.
func firstDiff(want, got string) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	lo := max(0, i-120)
	return "…" + got[lo:min(len(got), i+120)] + "…\n--- want ---\n…" + want[lo:min(len(want), i+120)] + "…"
}
