package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestAway: `goalpost away` records a person's week off (unknown people and
// malformed weeks exit 2 naming the choices), and recording it twice is
// fine.
func TestAway(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "goalpost.toml")
	if err := writeFile(path, daemonConfig(filepath.Join(dir, "data"), "http://127.0.0.1:1/", 4096)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"records a week", []string{"ana", "2026-W47"}, exitOK, "ana is away in 2026-W47"},
		{"again is fine", []string{"ana", "2026-W47"}, exitOK, "ana is away in 2026-W47"},
		{"unknown person", []string{"bo", "2026-W47"}, exitUsage, `unknown person "bo"`},
		{"malformed week", []string{"ana", "next week"}, exitUsage, "want an ISO week"},
		{"missing week", []string{"ana"}, exitUsage, "PERSON WEEK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"away", "-c", path}, tt.args...)...)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Fatalf("exit %d, want %d with %q\n%s%s", code, tt.code, tt.want, out, errOut)
			}
		})
	}
}
