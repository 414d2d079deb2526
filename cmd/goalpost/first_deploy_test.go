package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
)

// TestSyncSinceCountsFridayMergesShippedMonday: with `sync --since` on a
// Monday, the PRs merged on the Friday before and deployed that Monday
// count for the week of the Monday deploy in the baseline (bob and carol
// shipped) and in the median lead time (from Friday's merge), because the
// first deploy after since is compared with Thursday's deploy (ADR 0044).
func TestSyncSinceCountsFridayMergesShippedMonday(t *testing.T) {
	monday := time.Date(2026, 7, 6, 0, 0, 0, 0, time.UTC)
	clk := monday.Add(-4*24*time.Hour + 15*time.Hour) // Thursday 15:00
	now := func() time.Time { return clk }
	fake := githubfake.New(githubfake.WithToken("ghp_first_deploy"), githubfake.WithClock(now))
	srv := fake.Server()
	defer srv.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fake.AddRepo("acme/api", "main"))
	merge := func(title, author string) {
		n, err := fake.AddPullRequest("acme/api", githubfake.PullRequest{Title: title, Author: author, Commits: 1})
		must(err)
		clk = clk.Add(time.Minute)
		_, err = fake.MergePullRequest("acme/api", n, githubfake.MergeOptions{})
		must(err)
		clk = clk.Add(time.Minute)
	}
	deploy := func() {
		head, err := fake.DefaultBranchHead("acme/api")
		must(err)
		_, err = fake.Deploy("acme/api", "production", head, "deploy-bot", "success", clk)
		must(err)
		clk = clk.Add(time.Hour)
	}
	merge("thursday fix", "ana")
	deploy()
	clk = clk.Add(24 * time.Hour) // Friday
	merge("friday feature", "bob")
	merge("friday docs", "carol")
	clk = monday.Add(10 * time.Hour)
	deploy() // Monday 10:00 ships Friday's two PRs
	clk = monday.Add(3 * 24 * time.Hour)

	dir := t.TempDir()
	path := filepath.Join(dir, "goalpost.toml")
	must(writeFile(path, fmt.Sprintf(firstDeployConfig, filepath.ToSlash(dir), srv.URL)))
	env := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCLIAt(t, now, args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s\n%s", args[0], code, out, errOut)
		}
		return out
	}
	env("sync", "--since", monday.Format(time.DateOnly), "-c", path)

	baseline := env("baseline", "--weeks", "1", "-c", path)
	for _, who := range []string{"bob", "carol"} {
		if !regexp.MustCompile(`(?m)^` + who + `\s+UTC\s+1\b`).MatchString(baseline) {
			t.Errorf("%s shipped nothing in the week of the Monday deploy:\n%s", who, baseline)
		}
	}
	explain := env("explain", "lead-time", "-c", path)
	if !strings.Contains(explain, "friday feature") || !strings.Contains(explain, "friday docs") {
		t.Errorf("lead time does not use Friday's PRs:\n%s", explain)
	}
	if !regexp.MustCompile(`value:\s+65\.95 h`).MatchString(explain) {
		t.Errorf("median lead time is not from Friday's merge (65.95 h):\n%s", explain)
	}
}

// runCLIAt runs the CLI with now as its clock.
func runCLIAt(t *testing.T, now func() time.Time, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	env := &cliEnv{stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
		lookupEnv: func(string) (string, bool) { return "", false }, now: now}
	code = runMain(t.Context(), args, env)
	return code, out.String(), errb.String()
}

const firstDeployConfig = `data_dir = "%s"
log_level = "warn"

[github]
base_url = "%s/"
token = "ghp_first_deploy"
requests_per_second = 0

[[github.repos]]
name = "acme/api"
production_environments = ["production"]

[[teams]]
name = "platform"
time_zone = "UTC"

[[people]]
key = "ana"
name = "Ana"
github = "ana"
team = "platform"

[[people]]
key = "bob"
name = "Bob"
github = "bob"
team = "platform"

[[people]]
key = "carol"
name = "Carol"
github = "carol"
team = "platform"

[[people]]
key = "deploy-bot"
name = "Deploy bot"
github = "deploy-bot"
role = "bot"

[[objectives]]
key = "ship-faster"
title = "Ship faster"
owner = "ana"
team = "platform"
period = "2026-Q3"

[[objectives.key_results]]
key = "lead-time"
title = "Median lead time under 24 h"
type = "metric"
aggregate = "median"
field = "lead_time_seconds"
divide_by = 3600
unit = "h"
baseline = 72
target = 24
match = 'kind == "change.shipped"'
`
