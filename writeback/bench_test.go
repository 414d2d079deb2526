package writeback_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/notionfake"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/writeback"
)

func benchStore(b *testing.B) *store.Store {
	b.Helper()
	st, err := store.Open(b.Context(), filepath.Join(b.TempDir(), "goalpost.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

// BenchmarkSync100KRs10Changed is one `goalpost sync` over 100 key results
// of which 10 changed since the last sync (caches warm), 5 minutes (the
// default notes_interval) after the last: it reports the requests sent to
// Notion per sync, the writes' and the owners' notes read-back's apart.
func BenchmarkSync100KRs10Changed(b *testing.B) {
	clk := &benchClock{t: time.Now()}
	co, st := newCompany(b, 100, notionfake.WithClock(clk.now)), benchStore(b)
	sink := co.sink(b, nil, 1000, nil)
	s := writeback.New(st, map[string]writeback.Sink{"notion": sink}, nil)
	now := time.Now()
	for i := range 100 {
		co.enqueueKR(b, st, i, krResult(i, 0, now), now)
	}
	if err := s.Flush(b.Context()); err != nil {
		b.Fatal(err)
	}
	clk.add(5 * time.Minute) // the first round, one interval after the first writes
	since := clk.now()
	if _, err := sink.ReadNotes(b.Context(), co.pages, time.Time{}); err != nil {
		b.Fatal(err)
	}
	co.fake.ResetRequests()
	n, writes, notes := 0, 0, 0
	for b.Loop() {
		n++
		clk.add(5 * time.Minute)
		for i := 0; i < 100; i += 10 {
			co.enqueueKR(b, st, i, krResult(i, float64(n), now), now)
		}
		if err := s.Flush(b.Context()); err != nil {
			b.Fatal(err)
		}
		writes += total(co.fake.Requests())
		co.fake.ResetRequests()
		round := clk.now()
		if _, err := sink.ReadNotes(b.Context(), co.pages, since); err != nil {
			b.Fatal(err)
		}
		since = round
		notes += total(co.fake.Requests())
		co.fake.ResetRequests()
	}
	b.ReportMetric(float64(writes)/float64(n), "write-requests/sync")
	b.ReportMetric(float64(notes)/float64(n), "notes-requests/sync")
}

func total(reqs map[string]int) int {
	n := 0
	for _, v := range reqs {
		n += v
	}
	return n
}

// benchClock is the fake Notion's clock, moved by the benchmark.
type benchClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *benchClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *benchClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// BenchmarkCommitToNotionPatch measures the time from a key-result change
// being committed to the outbox (with Notify, as the engine does) to the
// Notion page update reaching a fake Notion on loopback, through a running
// Sender. It reports the median and p99 in milliseconds. The sub-benchmark
// "rps=3" uses Notion's default rate limit and spaces changes 1s apart (run
// it with -benchtime=Nx); "rps=1000" measures the pipeline alone.
func BenchmarkCommitToNotionPatch(b *testing.B) {
	for _, bc := range []struct {
		name  string
		rps   float64
		space time.Duration
	}{{"rps=1000", 1000, 0}, {"rps=3", 3, time.Second}} {
		b.Run(bc.name, func(b *testing.B) { benchCommitToPatch(b, bc.rps, bc.space) })
	}
}

func benchCommitToPatch(b *testing.B, rps float64, space time.Duration) {
	co, st := newCompany(b, 1), benchStore(b)
	pagePatched := make(chan time.Time, 16)
	writeDone := make(chan struct{}, 16)
	co.fake.OnRequest(func(r notionfake.Request) {
		switch r.Route {
		case "PATCH /v1/pages/{id}":
			pagePatched <- time.Now()
		case "PATCH /v1/blocks/{id}", "PATCH /v1/blocks/{id}/children":
			writeDone <- struct{}{}
		}
	})
	s := writeback.New(st, map[string]writeback.Sink{"notion": co.sink(b, nil, rps, nil)}, nil,
		writeback.WithPollInterval(time.Hour))
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	var lat []time.Duration
	n := 0
	for b.Loop() {
		n++
		b.StopTimer()
		time.Sleep(space)
		b.StartTimer()
		now := time.Now()
		co.enqueueKR(b, st, 0, krResult(0, float64(n), now), now)
		committed := time.Now()
		s.Notify()
		lat = append(lat, (<-pagePatched).Sub(committed))
		<-writeDone
	}
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
