package main

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox"
)

// BenchmarkSyncOnceIdle is the whole `goalpost sync --once` command with
// nothing new, against the sandbox's configuration (the demo's: GitHub,
// Trello, Notion, Slack fakes on loopback) after a first sync took in
// everything. It reports the command run in this process (runMain: load the
// configuration, open the store and the embedded stream, poll every source,
// drain, evaluate, flush the outbox, print, close) and the same command as
// the built binary (process start included; its wall and CPU time), and as
// the same-run baseline of network time the sources' polls alone (pollAll,
// on an app opened beforehand), and that app's close (the stream's
// connection and embedded server), where fixed waits were.
func BenchmarkSyncOnceIdle(b *testing.B) {
	sb, err := sandbox.Start(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	dir := b.TempDir()
	env := &cliEnv{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" },
		lookupEnv: func(string) (string, bool) { return "", false }}
	cfg, err := writeDemoConfig(sb, filepath.Join(dir, "data"), "127.0.0.1:0", env)
	if err != nil {
		b.Fatal(err)
	}
	cfgPath := filepath.Join(cfg.DataDir, "goalpost.toml")
	args := []string{"sync", "-c", cfgPath, "--once"}
	if code := runMain(b.Context(), args, env); code != exitOK {
		b.Fatalf("first sync: exit %d", code)
	}
	bin := buildBinary(b, dir)
	var inProc, binary, binaryCPU, polls, closing time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if code := runMain(b.Context(), args, env); code != exitOK {
			b.Fatalf("sync: exit %d", code)
		}
		inProc += time.Since(start)
		start = time.Now()
		cmd := exec.Command(bin, args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("sync: %v\n%s", err, out)
		}
		binary += time.Since(start)
		binaryCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		p, c := pollsAndClose(b, env, cfgPath)
		polls += p
		closing += c
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(per(inProc), "ms/sync")
	b.ReportMetric(per(binary), "ms/sync-binary")
	b.ReportMetric(per(binaryCPU), "cpu-ms/sync-binary")
	b.ReportMetric(per(polls), "ms/polls")
	b.ReportMetric(per(closing), "ms/close")
}

// pollsAndClose is the time of one pollAll on an app opened beforehand,
// and of that app's close.
func pollsAndClose(b *testing.B, env *cliEnv, cfgPath string) (polls, closing time.Duration) {
	a, err := openApp(context.WithoutCancel(b.Context()), env, cfgPath, buildOptions{online: true, out: env})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := a.pollAll(b.Context(), &bytes.Buffer{}); err != nil {
		b.Fatal(err)
	}
	polls = time.Since(start)
	start = time.Now()
	a.close()
	return polls, time.Since(start)
}
