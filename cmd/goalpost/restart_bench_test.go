package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline"
	"github.com/goalpost/goalpost/pipeline/event"
)

// BenchmarkDaemonRestart measures `goalpost run` (the built binary) after
// GOALPOST_BENCH_EVENTS events (default 100000; 1000000 for the figure in
// docs/BENCHMARKS.md) went through it, against the same daemon on an empty
// data directory in the same run: the time from the process's start until
// /readyz answers 200, its RSS then, and its peak RSS (VmHWM) two seconds
// later, once its first poll and evaluation of every key result are done.
//
// The 1M-event state is built by the fastest faithful path, not by the
// engine event by event (hours at this machine's load): the events are
// published to the daemon's stream with its Publisher, consumed and acked
// by its durable consumer with a handler that only stores them (the store
// half of the daemon's handler), then the engine's Rebuild derives every
// key result's state from the stored events (the same state, by the
// property test, as processing them one by one).
//
// GOALPOST_BENCH_STATE=DIR keeps the states in DIR and reuses a state built
// there before (building 1M events takes 10-20 minutes): to iterate on the
// daemon's start. A reused state's events age: rebuild it for the figures.
func BenchmarkDaemonRestart(b *testing.B) {
	total := 100_000
	if v, err := strconv.Atoi(os.Getenv("GOALPOST_BENCH_EVENTS")); err == nil && v > 0 {
		total = v
	}
	dir, keep := os.LookupEnv("GOALPOST_BENCH_STATE")
	if !keep {
		dir = b.TempDir()
	}
	bin := buildBinary(b, dir)
	gh := githubfake.New(githubfake.WithToken("test-token"))
	if err := gh.AddRepo("acme/api", "main"); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(gh.Handler())
	defer srv.Close()
	empty := writeScaleConfig(b, filepath.Join(dir, "empty"), srv.URL+"/")
	fullDir := filepath.Join(dir, fmt.Sprintf("full-%d", total))
	_, statErr := os.Stat(filepath.Join(fullDir, "goalpost.toml"))
	full := writeScaleConfig(b, fullDir, srv.URL+"/")
	if !keep || statErr != nil {
		built := time.Now()
		fillState(b, full.path, total)
		b.Logf("%d events: state built in %s", total, time.Since(built).Round(time.Second))
	}
	b.Run(fmt.Sprintf("events=%d", total), func(b *testing.B) { benchRestarts(b, bin, empty, full) })
}

// benchRestarts starts and stops each daemon b.N times, in turn.
func benchRestarts(b *testing.B, bin string, empty, full scaleDaemon) {
	var ready [2]time.Duration
	var rss, peak [2]int
	for range b.N {
		for i, d := range []scaleDaemon{empty, full} {
			took, r, p := d.startStop(b, bin)
			ready[i] += took
			rss[i] += r
			peak[i] += p
		}
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / n }
	mb := func(kb int) float64 { return float64(kb) / 1024 / n }
	b.ReportMetric(ms(ready[1]), "ms/ready")
	b.ReportMetric(ms(ready[0]), "ms/ready-empty")
	b.ReportMetric(mb(rss[1]), "rss-MB")
	b.ReportMetric(mb(rss[0]), "rss-MB-empty")
	b.ReportMetric(mb(peak[1]), "peak-rss-MB")
	b.ReportMetric(mb(peak[0]), "peak-rss-MB-empty")
}

// scaleDaemon is a configuration for BenchmarkDaemonRestart.
type scaleDaemon struct{ path, addr string }

// writeScaleConfig writes, under dataDir, a daemon configuration with the
// 200 key results of scaleKR over the events of scaleEvent.
func writeScaleConfig(b *testing.B, dataDir, githubURL string) scaleDaemon {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		b.Fatal(err)
	}
	d := scaleDaemon{path: filepath.Join(dataDir, "goalpost.toml"), addr: freeAddr(b)}
	now := time.Now().UTC()
	var s strings.Builder
	fmt.Fprintf(&s, "data_dir = %q\nlog_level = \"error\"\n[server]\nlisten = %q\nadmin_listen = \"127.0.0.1:0\"\n", dataDir, d.addr)
	fmt.Fprintf(&s, "[github]\nbase_url = %q\ntoken = \"test-token\"\nwebhook_secret = %q\npoll_interval = \"1h\"\n[[github.repos]]\nname = \"acme/api\"\n", githubURL, hookSecret)
	for i := range 40 {
		fmt.Fprintf(&s, "[[people]]\nkey = \"p%d\"\ngithub = \"dev%[1]d\"\njira = \"acc-%[1]d\"\ntime_zone = \"UTC\"\n", i)
	}
	fmt.Fprintf(&s, "[[objectives]]\nkey = \"scale\"\ntitle = \"Scale\"\nstart = %q\nend = %q\n",
		now.AddDate(0, 0, -60).Format(time.DateOnly), now.AddDate(0, 0, 30).Format(time.DateOnly))
	for i := range 200 {
		fmt.Fprintf(&s, "[[objectives.key_results]]\nkey = \"kr%03d\"\ntitle = \"KR %[1]d\"\n%s\n", i, scaleKR(i))
	}
	if err := writeFile(d.path, s.String()); err != nil {
		b.Fatal(err)
	}
	return d
}

// scaleKR is the i-th of 200 key results of every type (as in the engine's
// benchmarks): 100 counts of shipped changes, 50 counts of Jira issues
// done, 25 median lead times, 25 epic ratios.
func scaleKR(i int) string {
	switch {
	case i < 100:
		return fmt.Sprintf("type = \"count\"\ntarget = 50\nmatch = 'source == \"github\" && kind == \"change.shipped\" && repo == \"acme/r%d\"'", i)
	case i < 150:
		return fmt.Sprintf("type = \"count\"\ntarget = 50\nmatch = 'source == \"jira\" && kind == \"issue.completed\" && attrs.epic == \"E-%d\"'", i-100)
	case i < 175:
		return fmt.Sprintf("type = \"metric\"\naggregate = \"median\"\nfield = \"lead_time_seconds\"\ndivide_by = 60\nbaseline = 60\ntarget = 10\nwindow = \"28d\"\nmatch = 'kind == \"change.shipped\" && repo == \"acme/r%d\"'", i-150)
	}
	return fmt.Sprintf("type = \"ratio\"\nscope = \"epic:E-%d\"\ntarget = 80\nmatch = 'source == \"jira\"'", i-175)
}

// scaleEvent is the n-th of total events over the last 30 days: shipped
// changes and merged PRs over 200 repos, Jira issue updates over 50 epics.
func scaleEvent(n, total int, end time.Time) event.Event {
	at := end.Add(-30 * 24 * time.Hour).Add(time.Duration(n) * (30 * 24 * time.Hour / time.Duration(total)))
	repo := fmt.Sprintf("acme/r%d", n%200)
	actor := fmt.Sprintf("dev%d", n%40)
	pr := fmt.Sprintf("%s#%d", repo, n)
	switch n % 4 {
	case 0, 1:
		return event.Event{ID: "gh:shipped:" + pr, Source: "github", Kind: event.KindChangeShipped, OccurredAt: at,
			ActorHandle: actor, Repo: repo, Unit: pr, Title: "change", URL: "https://github.com/" + pr,
			Numbers: map[string]float64{"lead_time_seconds": float64(60 + n%3600)}}
	case 2:
		return event.Event{ID: "gh:pr:" + pr + ":merged", Source: "github", Kind: event.KindPullRequestMerged, OccurredAt: at,
			ActorHandle: actor, Repo: repo, Unit: pr, Title: "merge"}
	}
	issue := fmt.Sprintf("E%d-%d", n%50, n/8)
	cat := []string{"new", "indeterminate", "done"}[n%3]
	kind := map[string]string{"new": event.KindIssueCreated, "indeterminate": event.KindIssueUpdated, "done": event.KindIssueCompleted}[cat]
	return event.Event{ID: fmt.Sprintf("jira:%s:%d", issue, n), Source: "jira", Kind: kind, OccurredAt: at,
		ActorHandle: fmt.Sprintf("acc-%d", n%40), Repo: "E", Unit: issue, Title: "issue",
		Attrs: map[string]string{"status_category": cat, "epic": fmt.Sprintf("E-%d", n%50)}}
}

// fillState puts total events through the daemon's stream and store and
// derives the engine's state (see BenchmarkDaemonRestart).
func fillState(b *testing.B, path string, total int) {
	ctx := context.Background()
	cfg, err := config.Load(path, func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	a, err := build(ctx, cfg, discardLog(), daemon(&cliEnv{stdout: io.Discard, stderr: io.Discard}))
	if err != nil {
		b.Fatal(err)
	}
	defer a.close()
	end := time.Now()
	const chunk = 500
	evs := make([]event.Event, 0, chunk)
	for n := range total {
		evs = append(evs, scaleEvent(n, total, end))
		if len(evs) == chunk || n == total-1 {
			if err := a.pub.Publish(ctx, evs...); err != nil {
				b.Fatal(err)
			}
			evs = evs[:0]
		}
	}
	c := pipeline.NewConsumer(a.js, a.cfg.NATS.Streams(), storeOnly{a.store}, discardLog(), a.metrics)
	if n, err := c.Drain(ctx); err != nil || n != total {
		b.Fatalf("stored %d of %d events: %v", n, total, err)
	}
	if err := a.engine.Rebuild(ctx, io.Discard); err != nil {
		b.Fatal(err)
	}
}

// storeOnly is the store half of the daemon's handler: it stores events.
type storeOnly struct{ st *store.Store }

func (h storeOnly) Handle(ctx context.Context, evs []event.Event) error {
	return h.st.InTx(ctx, func(tx *store.Tx) error {
		for _, ev := range evs {
			if _, err := tx.InsertEvent(ctx, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// startStop starts the daemon, measures its time to ready and its RSS then,
// and its peak RSS two seconds later, and stops it.
func (d scaleDaemon) startStop(b *testing.B, bin string) (ready time.Duration, rssKB, peakKB int) {
	cmd := exec.Command(bin, "run", "-c", d.path)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get("http://" + d.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(start) > time.Minute {
			b.Fatalf("not ready after a minute: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	ready = time.Since(start)
	rssKB = procStatusKB(b, cmd.Process.Pid, "VmRSS:")
	time.Sleep(2 * time.Second)
	return ready, rssKB, procStatusKB(b, cmd.Process.Pid, "VmHWM:")
}

// procStatusKB reads one field, in KiB, of /proc/PID/status.
func procStatusKB(b *testing.B, pid int, field string) int {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return kb
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
