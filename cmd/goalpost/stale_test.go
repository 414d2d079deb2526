package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFailingSourceShowsStale runs a sync whose GitHub is unreachable: the
// sync fails (exit 1) after printing, and its key results show as stale,
// not as zero or red, in the sync's output and in `status` afterwards.
func TestFailingSourceShowsStale(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the client's retries")
	}
	dir := t.TempDir()
	cfg := daemonConfig(filepath.Join(dir, "data"), "http://127.0.0.1:1/", 4096) // nothing listens on port 1
	cfg = strings.Replace(cfg, "[github]\n", "[github]\nmax_wait = \"1s\"\n", 1)
	path := filepath.Join(dir, "goalpost.toml")
	if err := writeFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	stale := regexp.MustCompile(`(?m)^merged-10\s.*\bStale\b`)
	code, out, errOut := runCLI(t, "sync", "--once", "-c", path)
	if code != exitFailure || !strings.Contains(errOut, "poll github") || !stale.MatchString(out) {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "status", "-c", path)
	if code != exitOK || !stale.MatchString(out) {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
}
