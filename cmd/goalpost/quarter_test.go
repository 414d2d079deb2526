package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestReportQuarterUsage (issue 12.5): `report --quarter` with a bad
// quarter, with --week too, or in a format the quarter report has not,
// exits 2 naming the valid form; a good one prints the report.
func TestReportQuarterUsage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "goalpost.toml")
	if err := writeFile(path, daemonConfig(filepath.Join(dir, "data"), "http://127.0.0.1:1/", 4096)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no dash", []string{"--quarter", "2026Q4"}, exitUsage, `--quarter: bad quarter "2026Q4" (want YYYY-QN, e.g. 2026-Q4)`},
		{"a month", []string{"--quarter", "2026-10"}, exitUsage, "want YYYY-QN, e.g. 2026-Q4"},
		{"with a week", []string{"--quarter", "2026-Q4", "--week", "2026-W47"}, exitUsage, "--week and --quarter: give one"},
		{"html", []string{"--quarter", "2026-Q4", "--format", "html"}, exitUsage, "--format: a quarter report is md or json"},
		{"json", []string{"--quarter", "2026-Q4", "--format", "json"}, exitOK, `"quarter": "2026-Q4"`},
		{"markdown", []string{"--quarter", "2026-Q3"}, exitOK, "# Quarter grades — 2026-Q3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"report", "-c", path}, tc.args...)...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("exit %d, want %d with %q:\n%s\n%s", code, tc.code, tc.want, out, errOut)
			}
		})
	}
}
