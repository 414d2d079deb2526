package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox"
)

// TestSyncBackfillThenIncremental backfills the sandbox company with
// `sync --since`, then runs `sync --once` as cron would: the second run reads
// from its cursors, a few requests per repository, every one a 304 thanks to
// the ETags kept in the store, and finds nothing new.
func TestSyncBackfillThenIncremental(t *testing.T) {
	sb, err := sandbox.Start(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "goalpost.toml")
	if err := writeFile(path, sb.Config(dir, "127.0.0.1:0")); err != nil {
		t.Fatal(err)
	}
	since := sb.Company.Anchor.AddDate(0, 0, -7*(sb.Company.Weeks+1)).Format(time.DateOnly)
	processed := regexp.MustCompile(`processed (\d+) new events`)

	code, out, errOut := runCLI(t, "sync", "--since", since, "-c", path)
	if code != exitOK {
		t.Fatalf("backfill: exit %d\n%s\n%s", code, out, errOut)
	}
	m := processed.FindStringSubmatch(out)
	if n, _ := strconv.Atoi(m[1]); m == nil || n < 100 {
		t.Fatalf("backfill processed too little:\n%s", out)
	}
	sb.GitHub.ResetStats()
	code, out, errOut = runCLI(t, "sync", "--once", "-c", path)
	if code != exitOK || processed.FindStringSubmatch(out)[1] != "0" {
		t.Fatalf("incremental sync: exit %d\n%s\n%s", code, out, errOut)
	}
	st := sb.GitHub.Stats()
	t.Logf("incremental sync: %d requests, %d 304s", st.Total, st.NotModified)
	if st.Total == 0 || st.Total > 12 || st.NotModified != st.Total {
		t.Fatalf("the incremental sync made %d requests (%d 304s) for 2 repositories; want a few per repository, all 304s", st.Total, st.NotModified)
	}
}

// syncWriter is a stdout that a test can wait on while a command runs.
type syncWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	wrote chan struct{}
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestSyncNamesEverySourceThatFails runs `sync --once` with GitHub and
// Linear both refusing the token, Linear at once and GitHub only when the
// test lets it: Linear's failure is printed while GitHub is still being
// polled, then GitHub's, and sync exits 1 naming both.
func TestSyncNamesEverySourceThatFails(t *testing.T) {
	release := make(chan struct{})
	refuse := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"Bad credentials"}`))
	}
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		refuse(w)
	}))
	defer gh.Close()
	lin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { refuse(w) }))
	defer lin.Close()
	dir := t.TempDir()
	cfg := daemonConfig(filepath.Join(dir, "data"), gh.URL+"/", 4096) +
		"[linear]\nbase_url = \"" + lin.URL + "/graphql\"\napi_key = \"lin_api_test\"\n"
	path := filepath.Join(dir, "goalpost.toml")
	if err := writeFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	out := &syncWriter{wrote: make(chan struct{}, 1)}
	var errOut bytes.Buffer
	env := &cliEnv{stdout: out, stderr: &errOut, getenv: func(string) string { return "" },
		lookupEnv: func(string) (string, bool) { return "", false }}
	done := make(chan int, 1)
	go func() { done <- runMain(t.Context(), []string{"sync", "--once", "-c", path}, env) }()

	waitFor(t, "linear's result while github is still polled", func() bool {
		return strings.Contains(out.String(), "linear: failed: ")
	})
	if strings.Contains(out.String(), "github:") {
		t.Fatalf("github's result was printed before it finished:\n%s", out.String())
	}
	close(release) // GitHub may now answer
	var code int
	select {
	case code = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("sync did not finish")
	}
	if !strings.Contains(out.String(), "github: failed: ") {
		t.Errorf("github's failure was not printed:\n%s", out.String())
	}
	if code != exitFailure || !strings.Contains(errOut.String(), "poll github") || !strings.Contains(errOut.String(), "poll linear") {
		t.Fatalf("exit %d; want 1 naming both failures:\n%s", code, errOut.String())
	}
}
