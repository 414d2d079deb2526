package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/internal/store"
)

// TestSIGKILLLosesNothingAndCountsNothingTwice runs the real binary, kills
// it with SIGKILL while webhooks flow, restarts it, and checks that every
// acknowledged delivery's event is stored and counted exactly once.
func TestSIGKILLLosesNothingAndCountsNothingTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	gh := githubfake.New(githubfake.WithToken("test-token"))
	if err := gh.AddRepo("acme/api", "main"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gh.Handler())
	defer srv.Close()
	addr := freeAddr(t)
	cfgText := daemonConfig(filepath.Join(dir, "data"), srv.URL+"/", 1<<20)
	cfgText = strings.Replace(cfgText, `listen = "127.0.0.1:0"`, fmt.Sprintf("listen = %q\nadmin_listen = \"127.0.0.1:0\"", addr), 1)
	cfgText = strings.Replace(cfgText, "[github]", "[nats]\nack_wait = \"3s\"\n[github]", 1)
	cfgPath := filepath.Join(dir, "goalpost.toml")
	if err := writeFile(cfgPath, cfgText); err != nil {
		t.Fatal(err)
	}
	url := "http://" + addr + "/webhooks/github"

	proc := startProc(t, bin, cfgPath, addr)
	acked := sendUntilKilled(t, url, 400, func(n int) bool { return n == 60 }, proc)
	if len(acked) < 60 {
		t.Fatalf("only %d deliveries acknowledged before the kill", len(acked))
	}

	proc = startProc(t, bin, cfgPath, addr)
	// Redeliver everything acknowledged before the crash: none may count twice.
	for n := range acked {
		body := mergedPRPayload(n, time.Now().Add(-time.Hour))
		if code := post(t, url, "pull_request", fmt.Sprintf("again-%d", n), sign(body), body); code/100 != 2 {
			t.Fatalf("redelivery of #%d: %d", n, code)
		}
	}
	cfg, err := config.Parse(cfgPath, []byte(cfgText), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Messages delivered but not acked when the process died come back after
	// the consumer's ack wait (nats.ack_wait). The count alone is no signal
	// that they did: deliveries processed but not answered before the kill
	// count too. Wait for each acknowledged one by name.
	missing := func() []int {
		stored := storedMerged(t, cfg)
		var out []int
		for n := range acked {
			if !stored[n] {
				out = append(out, n)
			}
		}
		return out
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(missing()) > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	for _, n := range missing() {
		t.Errorf("acknowledged delivery for #%d is missing after the crash", n)
	}
	time.Sleep(500 * time.Millisecond)
	got := countMerged(t, cfg)
	stored := storedMerged(t, cfg)
	if got != float64(len(stored)) {
		t.Errorf("merged-10 = %v but %d distinct merged PRs are stored: something counted twice or not at all", got, len(stored))
	}
	stopProc(t, proc)
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startProc(t testing.TB, bin, cfgPath, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "run", "-c", cfgPath)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	waitFor(t, "the daemon to be ready", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return cmd
}

// sendUntilKilled sends merged-PR webhooks from 4 workers; when kill(acked)
// says so it SIGKILLs the daemon and keeps sending until requests fail. It
// returns the PR numbers whose delivery got a 2xx.
func sendUntilKilled(t *testing.T, url string, total int, kill func(int) bool, proc *exec.Cmd) map[int]bool {
	var mu sync.Mutex
	acked := map[int]bool{}
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				body := mergedPRPayload(n, time.Now().Add(-time.Hour))
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("X-GitHub-Event", "pull_request")
				req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("d-%d", n))
				req.Header.Set("X-Hub-Signature-256", sign(body))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					continue
				}
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					mu.Lock()
					acked[n] = true
					if kill(len(acked)) {
						once.Do(func() { _ = proc.Process.Signal(syscall.SIGKILL) })
					}
					mu.Unlock()
				}
			}
		}()
	}
	for n := 1; n <= total; n++ {
		next <- n
	}
	close(next)
	wg.Wait()
	_, _ = proc.Process.Wait()
	return acked
}

func stopProc(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatalf("daemon exited with %v after SIGTERM", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("daemon did not stop within 20s of SIGTERM")
	}
}

func countMerged(t *testing.T, cfg *config.Config) float64 {
	t.Helper()
	set, dir, err := compileRules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Store.Path, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs, err := engine.New(set, dir, st).Results(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rs[0].Current
}

func storedMerged(t *testing.T, cfg *config.Config) map[int]bool {
	t.Helper()
	st, err := store.Open(context.Background(), cfg.Store.Path, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[int]bool{}
	for n := 1; n <= 400; n++ {
		if _, err := st.Event(context.Background(), fmt.Sprintf("github:pr:acme/api#%d:merged", n)); err == nil {
			out[n] = true
		}
	}
	return out
}
