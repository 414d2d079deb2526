package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/people"
)

// End to end: stored events through the real rules engine into the weekly
// report (testdata/engine: config.toml, events.jsonl; engine.golden.md).
func TestEngineSourceEndToEnd(t *testing.T) {
	cfg, dir, set := loadEngineFixture(t)
	st := openStore(t, t.TempDir())
	now := reportTime // Mon 23 Nov 2026 09:00 in Berlin
	eng := engine.New(set, dir, st, engine.WithClock(func() time.Time { return now }))
	if err := eng.Handle(t.Context(), readJSONL(t, filepath.Join("testdata", "engine", "events.jsonl"))); err != nil {
		t.Fatal(err)
	}
	b, err := NewBuilder(NewEngineSource(eng), st, cfg.Teams, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Report(t.Context(), "platform", week47, now)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "engine.golden.md", []byte(Markdown(r)))

	if !r.Final || len(r.Baseline.Rows) != 3 {
		t.Errorf("final %v, %d baseline rows (the manager is not held to it)", r.Final, len(r.Baseline.Rows))
	}
	if len(r.TwoInARow) != 1 || r.TwoInARow[0].Person != "bob" || len(r.Silent) != 1 || r.Silent[0].Person != "carol" {
		t.Errorf("two in a row %v, silent %v", r.TwoInARow, r.Silent)
	}
	if len(r.Unmapped) != 1 || r.Unmapped[0].Handle != "ci-bot" {
		t.Errorf("unmapped = %v", r.Unmapped)
	}
	// Alice's Sunday 23:30 (Berlin) deploy is in W47: two wins for her.
	if len(r.Wins) != 2 || r.Wins[1].Title != "acme/web#7 Prefetch the dashboard" {
		t.Errorf("wins = %+v", r.Wins)
	}

	// A week in progress: nothing is a miss yet.
	mid := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cur, err := b.Report(t.Context(), "platform", week47.Add(1), mid)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range cur.Baseline.Rows {
		if st := row.Cells[len(row.Cells)-1].State; st != CellOpen {
			t.Errorf("%s: week in progress shows %s", row.Person, st)
		}
	}
}

// engineFixture is the part of goalpost's config the end-to-end fixture
// (testdata/engine/config.toml) holds.
type engineFixture struct {
	Teams      []people.Team     `toml:"teams"`
	People     []people.Person   `toml:"people"`
	Objectives []rules.Objective `toml:"objectives"`
}

func loadEngineFixture(t *testing.T) (engineFixture, *people.Directory, *rules.Set) {
	t.Helper()
	return loadFixture(t, "engine")
}

// loadFixture reads testdata/<name>/config.toml.
func loadFixture(t *testing.T, name string) (engineFixture, *people.Directory, *rules.Set) {
	t.Helper()
	var cfg engineFixture
	raw, err := os.ReadFile(filepath.Join("testdata", name, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := toml.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	dir, err := people.New(cfg.People, cfg.Teams)
	if err != nil {
		t.Fatal(err)
	}
	set, err := rules.Compile(cfg.Objectives, rules.WithTeams(cfg.Teams))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, dir, set
}

func readJSONL(t *testing.T, path string) []event.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []event.Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev event.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}
