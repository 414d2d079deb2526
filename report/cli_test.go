package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/rules/people"
)

func TestWrite(t *testing.T) {
	st := openStore(t, t.TempDir())
	one, _ := NewBuilder(loadSource(t), st, []people.Team{platform}, nil)
	two, _ := NewBuilder(loadSource(t), st, []people.Team{platform, {Name: "growth"}}, nil)
	out := filepath.Join(t.TempDir(), "{team}-{week}.html")
	for _, tc := range []struct {
		name    string
		b       *Builder
		req     Request
		want    string // in stdout, or in the file
		file    string
		wantErr string
	}{
		{name: "defaults: the only team, its current week, markdown", b: one, req: Request{Now: reportTime.Add(-24 * 3600e9)},
			want: "# Weekly check-in — platform — 2026-W47"},
		{name: "explicit week and format", b: two, req: Request{Team: "platform", Week: "2026-W47", Format: "json", Now: reportTime},
			want: `"week": "2026-W47"`},
		{name: "format from --out", b: one, req: Request{Week: "2026-W47", Out: out, Now: reportTime},
			file: filepath.Join(filepath.Dir(out), "platform-2026-W47.html"), want: "<!DOCTYPE html>"},
		{name: "several teams need --team", b: two, req: Request{Now: reportTime}, wantErr: "2 teams: pick one with --team (growth, platform)"},
		{name: "unknown team", b: one, req: Request{Team: "x", Now: reportTime}, wantErr: `unknown team "x"`},
		{name: "bad week", b: one, req: Request{Week: "W47", Now: reportTime}, wantErr: `bad week "W47"`},
		{name: "bad format", b: one, req: Request{Format: "pdf", Now: reportTime}, wantErr: "format"},
		{name: "future week", b: one, req: Request{Week: "2027-W01", Now: reportTime}, wantErr: "has not started"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout bytes.Buffer
			err := Write(t.Context(), tc.b, tc.req, &stdout)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := stdout.String()
			if tc.file != "" {
				b, err := os.ReadFile(tc.file)
				if err != nil {
					t.Fatal(err)
				}
				got = string(b)
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("output lacks %q:\n%.300s", tc.want, got)
			}
		})
	}
}
