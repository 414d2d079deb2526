package writeback_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
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
// of which 10 changed since the last sync (caches warm): it reports the
// requests sent to Notion per sync.
func BenchmarkSync100KRs10Changed(b *testing.B) {
	co, st := newCompany(b, 100), benchStore(b)
	s := writeback.New(st, map[string]writeback.Sink{"notion": co.sink(b, nil, 1000, nil)}, nil)
	now := time.Now()
	for i := range 100 {
		co.enqueueKR(b, st, i, krResult(i, 0, now), now)
	}
	if err := s.Flush(b.Context()); err != nil {
		b.Fatal(err)
	}
	co.fake.ResetRequests()
	n := 0
	for b.Loop() {
		n++
		for i := 0; i < 100; i += 10 {
			co.enqueueKR(b, st, i, krResult(i, float64(n), now), now)
		}
		if err := s.Flush(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	reqs := co.fake.Requests()
	total := 0
	for _, v := range reqs {
		total += v
	}
	b.ReportMetric(float64(total)/float64(n), "requests/sync")
	b.ReportMetric(float64(reqs["PATCH /v1/pages/{id}"])/float64(n), "page-updates/sync")
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
