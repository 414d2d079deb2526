package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSetManualValue(t *testing.T) {
	dir := t.TempDir()
	cfg := daemonConfig(filepath.Join(dir, "data"), "http://127.0.0.1:1/", 4096) + `
[[objectives.key_results]]
key = "nps"
title = "NPS at 45"
type = "manual"
baseline = 30
target = 45
`
	path := filepath.Join(dir, "goalpost.toml")
	if err := writeFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"sets a manual key result", []string{"set", "-c", path, "nps", "41", "--note", "Q4 survey"}, exitOK, "41 / 45"},
		{"the value is stored", []string{"status", "-c", path}, exitOK, "41 / 45"},
		{"explain shows who set it", []string{"explain", "-c", path, "nps"}, exitOK, "Q4 survey"},
		{"sets it again", []string{"set", "-c", path, "nps", "43", "--by", "ana", "--note", "re-count"}, exitOK, "43 / 45"},
		{"every value is kept as evidence", []string{"status", "-c", path}, exitOK, "2 items"},
		{"explain shows the latest value", []string{"explain", "-c", path, "nps"}, exitOK, "set by ana: re-count"},
		{"explain keeps the earlier value", []string{"explain", "-c", path, "nps"}, exitOK, "Q4 survey"},
		{"unknown key result", []string{"set", "-c", path, "npz", "3"}, exitUsage, `unknown manual key result "npz"; choose one of: nps`},
		{"not a manual key result", []string{"set", "-c", path, "merged-10", "3"}, exitUsage, "not manual"},
		{"not a number", []string{"set", "-c", path, "nps", "lots"}, exitUsage, "want a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(out+errOut, tt.want) {
				t.Fatalf("exit %d, want %d; output %q does not contain %q (stderr %q)", code, tt.wantCode, out, tt.want, errOut)
			}
		})
	}
}
