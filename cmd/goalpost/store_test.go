package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/internal/store/pgtest"
)

// `store copy` moves the demo's SQLite store to PostgreSQL: every table
// with the same number of rows, and `rebuild --check` on the copy finds
// the incremental state equal to a computation from scratch. A second copy
// into the now filled database is refused.
func TestStoreCopySQLiteToPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo")
	}
	dsn := pgtest.DSN(t, t.Name())
	dir := t.TempDir()
	if code, out, errOut := runCLI(t, "demo", "--once", "--data", dir); code != exitOK {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	args := []string{"store", "copy", "--from", "sqlite:" + filepath.Join(dir, "goalpost.db"), "--to", "postgres:" + dsn,
		"-c", filepath.Join(dir, "goalpost.toml")}
	code, out, errOut := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("store copy: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, table := range []string{"events", "kr_matches", "kr_points", "kr_state", "kr_snapshots", "outbox", "report_snapshots"} {
		m := regexp.MustCompile(`(?m)^` + table + `\s+(\d+)\s+(\d+)\s*$`).FindStringSubmatch(out)
		if m == nil || m[1] != m[2] || m[1] == "0" {
			t.Errorf("table %s: want equal, non-zero counts, got %q\n%s", table, m, out)
		}
	}
	if !strings.Contains(out, "matches a computation from scratch") {
		t.Errorf("no rebuild --check verdict:\n%s", out)
	}
	if strings.Contains(out+errOut, dsn) {
		t.Error("the DSN was printed")
	}
	if code, out, errOut := runCLI(t, args...); code == exitOK || !strings.Contains(out+errOut, "not empty") {
		t.Errorf("second copy: exit %d, want a refusal naming the non-empty destination\n%s\n%s", code, out, errOut)
	}
}
