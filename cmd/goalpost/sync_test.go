package main

import (
	"path/filepath"
	"regexp"
	"strconv"
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
