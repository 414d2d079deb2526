package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// firstLine is the first line of what a command printed: its stdout, or its
// stderr when it printed nothing there.
func firstLine(stdout, stderr string) string {
	s := stdout
	if s == "" {
		s = stderr
	}
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestCLIUsage runs every command with --help, with a mistyped flag, with a
// stray argument and without a configuration, and checks the exit code and
// the first line printed.
func TestCLIUsage(t *testing.T) {
	type tc struct {
		name  string
		args  []string
		code  int
		first string
	}
	tests := []tc{
		{"no command", nil, exitUsage, "goalpost links the work trackers a team uses to the goals it wrote down."},
		{"help", []string{"help"}, exitOK, "goalpost links the work trackers a team uses to the goals it wrote down."},
		{"help for a command", []string{"help", "status"}, exitOK, lookup("status").summary},
		{"help for a typo", []string{"help", "stauts"}, exitUsage, `goalpost: unknown command "stauts"; did you mean "status"?`},
		{"command typo", []string{"expalin"}, exitUsage, `goalpost: unknown command "expalin"; did you mean "explain"?`},
		{"unknown command", []string{"frobnicate"}, exitUsage, `goalpost: unknown command "frobnicate"`},
		{"--version", []string{"--version"}, exitOK, "goalpost dev"},
		{"store copy without --from", []string{"store", "copy"}, exitUsage, "goalpost: --from: want sqlite:PATH or postgres:DSN"},
		{"store copy to postgres: without DATABASE_URL", []string{"store", "copy", "--from", "sqlite:x.db", "--to", "postgres:"}, exitUsage,
			"goalpost: --to: \"postgres:\" reads $DATABASE_URL, which is not set"},
	}
	for _, args := range [][]string{{"status"}, {"baseline"}, {"explain", "merged-10"}, {"report"}} {
		tests = append(tests, tc{args[0] + " -o xml", append(args, "-o", "xml"), exitUsage, `goalpost: -o: want text or json, got "xml"`})
	}
	tests = append(tests,
		tc{"explain -o json --item", []string{"explain", "merged-10", "-o", "json", "--item", "x"}, exitUsage, "goalpost: --item does not go with -o json"},
		tc{"report -o json --format md", []string{"report", "-o", "json", "--format", "md"}, exitUsage, "goalpost: --format does not go with -o json"})
	// Positional arguments each command takes, so that a stray one is one more.
	needs := map[string][]string{"explain": {"merged-10"}, "set": {"nps", "41"}, "note": {"merged-10", "text"}, "away": {"ana", "2026-W47"}, "store": {"copy"}}
	for _, c := range commands() {
		tests = append(tests,
			tc{c.name + " --help", []string{c.name, "--help"}, exitOK, c.summary},
			tc{c.name + " -h", []string{c.name, "-h"}, exitOK, c.summary},
			tc{c.name + " flag typo", []string{c.name, "--hepl"}, exitUsage, "goalpost: unknown flag --hepl for " + c.name + "; did you mean --help?"},
		)
		args := append([]string{c.name}, needs[c.name]...)
		want := "goalpost: " + c.name + " takes no arguments, got \"stray\""
		if len(needs[c.name]) > 0 {
			want = "goalpost: " + c.name + " takes " + map[string]string{"explain": "KR", "set": "KR VALUE", "note": "KR TEXT", "away": "PERSON WEEK", "store": "copy"}[c.name] +
				", got \"" + strings.Join(append(needs[c.name], "stray"), " ") + "\""
		}
		tests = append(tests, tc{c.name + " stray argument", append(args, "stray"), exitUsage, want})
		if c.name == "sync" {
			args = append(args, "--once")
		}
		// init writes one (TestInitWithoutTokens); store copy reads one only to check the copy
		if c.name != "demo" && c.name != "version" && c.name != "init" && c.name != "store" {
			tests = append(tests, tc{c.name + " without a configuration", args, exitUsage,
				"goalpost: no configuration file: pass -c FILE or set GOALPOST_CONFIG"})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if got := firstLine(out, errOut); code != tt.code || !strings.HasPrefix(got, tt.first) {
				t.Fatalf("exit %d, first line %q; want exit %d, %q\nstdout:\n%s\nstderr:\n%s", code, got, tt.code, tt.first, out, errOut)
			}
		})
	}
}

// TestReadOnlyCommandsNeedNoSecret runs the commands that only read the
// store with a configuration whose every secret comes from an unset
// variable: they work. The commands that talk to a service ask for those
// services' secrets only.
func TestReadOnlyCommandsNeedNoSecret(t *testing.T) {
	dir := t.TempDir()
	cfg := daemonConfig(filepath.Join(dir, "data"), "http://127.0.0.1:1/", 4096)
	cfg = strings.Replace(cfg, `token = "test-token"`, `token = "${GOALPOST_TEST_GITHUB_TOKEN}"`, 1)
	cfg = strings.Replace(cfg, `webhook_secret = "`+hookSecret+`"`, `webhook_secret = "${GOALPOST_TEST_GITHUB_HOOK}"`, 1)
	cfg += `[notion]
base_url = "http://127.0.0.1:1/v1/"
token = "${GOALPOST_TEST_NOTION_TOKEN}"
[report]
[[report.destinations]]
name = "eng"
type = "slack"
webhook_url = "${GOALPOST_TEST_SLACK_WEBHOOK_URL}"
`
	path := filepath.Join(dir, "goalpost.toml")
	if err := writeFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"status"}, {"report"}, {"report", "--format", "json"}, {"explain", "merged-10"}, {"baseline"}, {"rebuild"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, append(args, "-c", path)...)
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
		})
	}
	t.Run("sync asks for the secrets of the services it talks to", func(t *testing.T) {
		code, _, errOut := runCLI(t, "sync", "--once", "-c", path)
		for _, v := range []string{"GOALPOST_TEST_GITHUB_TOKEN", "GOALPOST_TEST_GITHUB_HOOK", "GOALPOST_TEST_NOTION_TOKEN"} {
			if !strings.Contains(errOut, v) {
				t.Errorf("sync did not name %s", v)
			}
		}
		if code != exitUsage || strings.Contains(errOut, "GOALPOST_TEST_SLACK_WEBHOOK_URL") {
			t.Fatalf("exit %d; sync sends no report, so it must not ask for the Slack webhook:\n%s", code, errOut)
		}
	})
}
