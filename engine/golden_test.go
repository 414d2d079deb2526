package engine

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
)

// The golden cases in testdata/golden/<case>/ are a rule set
// (config.toml), an event stream (events.jsonl) and hand-computed
// expectations (expect.toml): at each check time, the events that happened
// by then have been handled (in small batches) and every listed key result
// must show the expected value, progress, score, grade and status. After
// the last check the whole stream is handled again (a replay must change
// nothing) and the store is rebuilt from the stored events (the same
// results must come out).

type goldenExpect struct {
	Check []goldenCheck `toml:"check"`
}

type goldenCheck struct {
	At      time.Time  `toml:"at"`
	Failing []string   `toml:"failing"`
	KR      []goldenKR `toml:"kr"`
}

type goldenKR struct {
	Key           string   `toml:"key"`
	Current       *float64 `toml:"current"`
	Progress      *float64 `toml:"progress"`
	Score         *float64 `toml:"score"`
	Pace          *float64 `toml:"pace"`
	Status        string   `toml:"status"`
	Grade         string   `toml:"grade"`
	NoData        *bool    `toml:"no_data"`
	EvidenceTotal *int     `toml:"evidence_total"`
	Blocked       *int     `toml:"blocked"`
	Note          string   `toml:"note"` // how the numbers were computed
}

func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) { runGolden(t, dir) })
	}
}

func runGolden(t *testing.T, dir string) {
	src, err := os.ReadFile(filepath.Join(dir, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var exp goldenExpect
	raw, err := os.ReadFile(filepath.Join(dir, "expect.toml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := toml.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&exp); err != nil {
		t.Fatalf("expect.toml: %v", err)
	}
	evs := readEvents(t, filepath.Join(dir, "events.jsonl"))
	h := newHarness(t, decodeConfig(t, src), exp.Check[0].At)
	next := 0
	for _, c := range exp.Check {
		next = h.handleUntil(t, evs, next, c.At)
		h.clock.Set(c.At)
		h.health.sources = nil
		for _, s := range c.Failing {
			h.health.Set(s, true)
		}
		if err := h.eng.Tick(t.Context()); err != nil {
			t.Fatalf("tick: %v", err)
		}
		for _, want := range c.KR {
			checkKR(t, c.At, h.result(t, want.Key), want)
		}
	}
	h.handleUntil(t, evs, next, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	before := resultsJSON(t, h)
	if err := h.eng.Handle(t.Context(), evs); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if after := resultsJSON(t, h); after != before {
		t.Errorf("handling the same events again changed the results:\nbefore %s\nafter  %s", before, after)
	}
	if err := h.eng.Rebuild(t.Context(), io.Discard); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	if after := resultsJSON(t, h); after != before {
		t.Errorf("rebuild changed the results:\nbefore %s\nafter  %s", before, after)
	}
}

// handleUntil handles, in batches of 4, the events from next on that
// happened by at, in stream order; it returns the index of the first event
// not handled.
func (h *harness) handleUntil(t *testing.T, evs []event.Event, next int, at time.Time) int {
	t.Helper()
	var batch []event.Event
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := h.eng.Handle(t.Context(), batch); err != nil {
			t.Fatalf("handle: %v", err)
		}
		batch = batch[:0]
	}
	for ; next < len(evs) && !evs[next].OccurredAt.After(at); next++ {
		if batch = append(batch, evs[next]); len(batch) == 4 {
			flush()
		}
	}
	flush()
	return next
}

func resultsJSON(t *testing.T, h *harness) string {
	t.Helper()
	rs, err := h.eng.Results(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkKR(t *testing.T, at time.Time, got rules.Result, want goldenKR) {
	t.Helper()
	where := want.Key + " at " + at.Format(time.RFC3339)
	near := func(name string, g float64, w *float64) {
		if w != nil && math.Abs(g-*w) > 1e-4 {
			t.Errorf("%s: %s = %v, want %v (%s)\n  formula: %s", where, name, g, *w, want.Note, got.Formula)
		}
	}
	near("current", got.Current, want.Current)
	near("progress", got.Progress, want.Progress)
	near("score", got.Score, want.Score)
	near("pace", got.Pace, want.Pace)
	if want.Status != "" && got.Status != want.Status {
		t.Errorf("%s: status = %s, want %s (pace %v, progress %v; %s)", where, got.Status, want.Status, got.Pace, got.Progress, want.Note)
	}
	if want.Grade != "" && got.Grade != want.Grade {
		t.Errorf("%s: grade = %s, want %s", where, got.Grade, want.Grade)
	}
	if want.NoData != nil && got.NoData != *want.NoData {
		t.Errorf("%s: no_data = %v, want %v", where, got.NoData, *want.NoData)
	}
	if want.EvidenceTotal != nil && got.EvidenceTotal != *want.EvidenceTotal {
		t.Errorf("%s: evidence_total = %d, want %d (evidence %+v)", where, got.EvidenceTotal, *want.EvidenceTotal, got.Evidence)
	}
	if want.Blocked != nil && len(got.Blocked) != *want.Blocked {
		t.Errorf("%s: blocked = %d, want %d", where, len(got.Blocked), *want.Blocked)
	}
}
