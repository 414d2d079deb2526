package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/store/pgtest"
	"github.com/goalpost/goalpost/pipeline/event"
)

// BenchmarkDaemonPipeline is the whole processing path of a built daemon:
// Publisher → JetStream → durable consumer → engine (store, match, evaluate,
// snapshot, outbox) → ack, with $KRS count key results (default 20) that
// every event matches, the worst case for evaluation.
func BenchmarkDaemonPipeline(b *testing.B) { benchDaemonPipeline(b, nil) }

// BenchmarkDaemonPipelineStore is BenchmarkDaemonPipeline on each store in
// the same run: SQLite, then PostgreSQL (a server of its own, see pgtest;
// or $GOALPOST_TEST_PG_DSN), for their ratio.
func BenchmarkDaemonPipelineStore(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchDaemonPipeline(b, nil) })
	b.Run("postgres", func(b *testing.B) {
		dsn := pgtest.DSN(b, fmt.Sprintf("%s/%d/%d", b.Name(), b.N, time.Now().UnixNano()))
		benchDaemonPipeline(b, &config.StoreConfig{Driver: config.DriverPostgres, DSN: secret.String(dsn)})
	})
}

// benchDaemonPipeline runs the benchmark on the store sc (nil: SQLite).
func benchDaemonPipeline(b *testing.B, sc *config.StoreConfig) {
	krs := 20
	fmt.Sscan(envOr("KRS", "20"), &krs)
	text := daemonConfig(b.TempDir(), "http://127.0.0.1:1/", 4096)
	for i := 1; i < krs; i++ {
		text += fmt.Sprintf("\n[[objectives.key_results]]\nkey = \"kr-%d\"\ntitle = \"KR %d\"\ntype = \"count\"\ntarget = 100\nmatch = 'kind == \"pull_request.merged\" && repo == \"acme/api\"'\n", i, i)
	}
	text = strings.Replace(text, "[github]", "[ignored]", 1) // no poller: events come from the benchmark
	text = text[:strings.Index(text, "[ignored]")] + text[strings.Index(text, "[[people]]"):]
	cfg, err := config.Parse("bench.toml", []byte(text), nil)
	if err != nil {
		b.Fatal(err)
	}
	if sc != nil {
		cfg.Store = *sc
	}
	ctx := context.Background()
	a, err := build(ctx, cfg, slog.New(slog.DiscardHandler), daemon(&cliEnv{stdout: io.Discard, stderr: io.Discard}))
	if err != nil {
		b.Fatal(err)
	}
	defer a.close()
	evs := make([]event.Event, b.N)
	now := time.Now().Add(-time.Hour)
	for i := range evs {
		evs[i] = event.Event{ID: fmt.Sprintf("github:pr:acme/api#%d:merged", i), Source: "github", Kind: event.KindPullRequestMerged,
			OccurredAt: now, ActorHandle: "ana-lima", Repo: "acme/api", Unit: fmt.Sprintf("acme/api#%d", i), Title: "change"}
	}
	b.ResetTimer()
	cpu := processCPU(b)
	for i := 0; i < len(evs); i += 500 {
		if err := a.pub.Publish(ctx, evs[i:min(i+500, len(evs))]...); err != nil {
			b.Fatal(err)
		}
	}
	if n, err := a.consumer.Drain(ctx); err != nil || n != b.N {
		b.Fatalf("drained %d of %d: %v", n, b.N, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64((processCPU(b)-cpu).Microseconds())/float64(b.N), "cpu-µs/event")
	b.ReportMetric(float64(rssKB(b))/1024, "rss-MB")
}

// processCPU is the CPU time this process has used (the embedded server's
// included): on a shared machine it moves far less than wall time.
func processCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

// rssKB is this process's resident set (VmRSS), in KiB; 0 where /proc is
// not there.
func rssKB(b *testing.B) int {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int
			fmt.Sscan(rest, &kb)
			return kb
		}
	}
	b.Log("no VmRSS in /proc/self/status")
	return 0
}
