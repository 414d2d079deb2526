package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
)

// TestSIGTERMDrainsBeforeExiting: a running replica is ready; within two
// seconds of SIGTERM its /readyz answers 503 "draining" with the reason,
// while the listener still takes webhooks for [server] drain_delay; then
// it exits 0, and every webhook it acknowledged, before or while
// draining, is stored once it runs again.
func TestSIGTERMDrainsBeforeExiting(t *testing.T) {
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
	cfgText = strings.Replace(cfgText, `listen = "127.0.0.1:0"`,
		fmt.Sprintf("listen = %q\nadmin_listen = \"127.0.0.1:0\"\ndrain_delay = \"3s\"", addr), 1)
	cfgPath := filepath.Join(dir, "goalpost.toml")
	if err := writeFile(cfgPath, cfgText); err != nil {
		t.Fatal(err)
	}
	url := "http://" + addr + "/webhooks/github"
	deliver := func(n int) {
		t.Helper()
		body := mergedPRPayload(n, time.Now().Add(-time.Hour))
		if code := post(t, url, "pull_request", fmt.Sprintf("d-%d", n), sign(body), body); code/100 != 2 {
			t.Fatalf("delivery of #%d: %d", n, code)
		}
	}

	proc := startProc(t, bin, cfgPath, addr) // waits for /readyz 200
	for n := 1; n <= 50; n++ {
		deliver(n)
	}
	exited := make(chan error, 1)
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	termAt := time.Now()
	go func() { exited <- proc.Wait() }()
	var body string
	waitForWithin(t, 2*time.Second, "/readyz to say draining after SIGTERM", func() bool {
		code, b := getBody(t, "http://"+addr+"/readyz")
		body = b
		return code == http.StatusServiceUnavailable
	})
	t.Logf("%s after SIGTERM: %s", time.Since(termAt).Round(time.Millisecond), strings.TrimSpace(body))
	if !strings.Contains(body, "draining: terminated signal received") {
		t.Errorf("/readyz while draining = %q, want the reason in words", body)
	}
	deliver(51) // the load balancer has not noticed yet: still taken
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not exit within 20 s of SIGTERM")
	}
	if took := time.Since(termAt); took < 3*time.Second {
		t.Errorf("exited %s after SIGTERM, before drain_delay (3s)", took)
	}

	proc = startProc(t, bin, cfgPath, addr)
	defer stopProc(t, proc)
	cfg, err := config.Parse(cfgPath, []byte(cfgText), nil)
	if err != nil {
		t.Fatal(err)
	}
	waitForWithin(t, 30*time.Second, "every acknowledged delivery to be stored", func() bool {
		return len(storedMerged(t, cfg)) == 51
	})
	if got := countMerged(t, cfg); got != 51 {
		t.Errorf("merged-10 = %v after the restart, want 51", got)
	}
}

func getBody(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
