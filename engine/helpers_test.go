package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/store/storetest"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/people"
)

// testConfig is the part of goalpost's config the engine reads.
type testConfig struct {
	Teams      []people.Team     `toml:"teams"`
	People     []people.Person   `toml:"people"`
	Objectives []rules.Objective `toml:"objectives"`
}

// clock is an injectable, settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// failing is a settable Health.
type failing struct {
	mu      sync.Mutex
	sources map[string]bool
}

func (f *failing) Failing(s string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sources[s]
}

func (f *failing) Set(s string, v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sources == nil {
		f.sources = map[string]bool{}
	}
	f.sources[s] = v
}

type harness struct {
	eng    *Engine
	st     *store.Store
	set    *rules.Set
	dir    *people.Directory
	clock  *clock
	health *failing
	path   string
}

func decodeConfig(t testing.TB, src []byte) testConfig {
	t.Helper()
	var cfg testConfig
	dec := toml.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("decode config: %v", err)
	}
	return cfg
}

// newHarness compiles cfg and opens a fresh store in a temp dir.
func newHarness(t testing.TB, cfg testConfig, now time.Time) *harness {
	t.Helper()
	path := filepath.Join(t.TempDir(), "goalpost.db")
	st := storetest.Open(t, path)
	h := &harness{st: st, clock: &clock{t: now}, health: &failing{}, path: path}
	h.compile(t, cfg)
	return h
}

// compile (re)builds the rule set, directory and engine over the same store.
func (h *harness) compile(t testing.TB, cfg testConfig) {
	t.Helper()
	dir, err := people.New(cfg.People, cfg.Teams)
	if err != nil {
		t.Fatalf("people: %v", err)
	}
	set, err := rules.Compile(cfg.Objectives, rules.WithTeams(cfg.Teams))
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	h.set, h.dir = set, dir
	h.eng = New(set, dir, h.st, WithClock(h.clock.Now), WithHealth(h.health))
}

func (h *harness) result(t testing.TB, key string) rules.Result {
	t.Helper()
	rs, err := h.eng.Results(t.Context())
	if err != nil {
		t.Fatalf("results: %v", err)
	}
	for _, r := range rs {
		if r.KRKey == key {
			return r
		}
	}
	t.Fatalf("no result for %s", key)
	return rules.Result{}
}

func readEvents(t testing.TB, path string) []event.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("events: %v", err)
	}
	defer f.Close()
	var out []event.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		var ev event.Event
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("events: %v", err)
	}
	return out
}
