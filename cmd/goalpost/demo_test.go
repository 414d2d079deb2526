package main

import (
	"bytes"
	"context"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox"
)

// expectedDemo computes the demo's key results straight from the sandbox's
// seed, independently of goalpost: acme/web ships on merge; an acme/api pull
// request ships with the first successful production deploy after its merge
// (the first deploy ships what was merged since the backfill start, a week
// before the period); values count inside the objectives' period, which
// starts at midnight in Lisbon. The Trello launch board's ratio is the
// share of its cards that reached the Done list.
func expectedDemo(c *sandbox.Company) map[string]float64 {
	start := c.Anchor.AddDate(0, 0, -7*c.Weeks)
	since := start.AddDate(0, 0, -7)
	lisbon, _ := time.LoadLocation("Europe/Lisbon")
	periodStart := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, lisbon)
	var shipped, perf, passkeys float64
	var leads []float64
	for _, pr := range c.PRs {
		if slices.Contains(pr.Labels, "perf") && !pr.MergedAt.Before(periodStart) {
			perf++
		}
		at, ok := shipTime(c, pr, since)
		if !ok || at.Before(periodStart) {
			continue
		}
		shipped++
		if pr.Repo == "acme/api" {
			leads = append(leads, at.Sub(pr.MergedAt).Hours())
		}
		if pr.Title == "Passkeys: enable for all users" {
			passkeys = 1
		}
	}
	var done float64
	for _, c := range c.Cards { // the launch board: the share of its cards in Done
		if !c.Done.IsZero() {
			done++
		}
	}
	return map[string]float64{"ship-80": shipped, "perf-20": perf, "passkeys-live": passkeys, "lead-time": median(leads),
		"launch-board": 100 * done / float64(len(c.Cards))}
}

func shipTime(c *sandbox.Company, pr sandbox.PR, since time.Time) (time.Time, bool) {
	if pr.Repo == "acme/web" {
		return pr.MergedAt, true
	}
	first := true
	for _, d := range c.Deploys {
		if d.Repo != pr.Repo || d.Environment != "production" || !d.Success {
			continue
		}
		if d.At.After(pr.MergedAt) && (!first || !pr.MergedAt.Before(since)) {
			return d.At.Add(4 * time.Minute), true // the success status comes 4 minutes after the deploy starts
		}
		first = false
	}
	return time.Time{}, false
}

func median(v []float64) float64 {
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

var resultLine = regexp.MustCompile(`(?m)^(\S+)\s+.*?\s([0-9.]+)%?(?: \S+)? / ([0-9.]+)`)

func parseResults(t *testing.T, out string) map[string]float64 {
	t.Helper()
	got := map[string]float64{}
	for _, m := range resultLine.FindAllStringSubmatch(out, -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		got[m[1]] = v
	}
	return got
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
		lookupEnv: func(string) (string, bool) { return "", false }}
	code = runMain(context.Background(), args, env)
	return code, out.String(), errb.String()
}

func TestDemoOnceMatchesSandboxAndIsIdempotent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo")
	}
	dir := t.TempDir()
	want := expectedDemo(sandbox.NewCompany(time.Now()))
	for run := 1; run <= 2; run++ {
		code, out, errOut := runCLI(t, "demo", "--once", "--data", dir)
		if code != exitOK {
			t.Fatalf("run %d: exit %d\n%s\n%s", run, code, out, errOut)
		}
		got := parseResults(t, out)
		for kr, w := range want {
			if math.Abs(got[kr]-w) > 0.01 {
				t.Errorf("run %d: %s = %v, want %v (from the sandbox data)", run, kr, got[kr], w)
			}
		}
		if run == 2 && !regexp.MustCompile(`processed 0 new events`).MatchString(out) {
			t.Errorf("second run processed new events; the same facts must be stored once:\n%s", out)
		}
		for _, page := range []string{"Ship 80 changes to production", "Passkeys deployed to production", "80% of the passwordless launch board done"} {
			if !bytes.Contains([]byte(out), []byte(page)) {
				t.Errorf("run %d: the Notion page %q was not written:\n%s", run, page, out)
			}
		}
		// The first run prints the Slack messages the demo sends to the fake
		// Slack: the weekly report in the channel, Bo's opt-in nudge in a DM
		// to Bo and one to Ana, his manager.
		// The second sends nothing again: the deliveries are recorded.
		posted := regexp.MustCompile(`Slack message posted to ([^:]+):`).FindAllStringSubmatch(out, -1)
		if run == 1 && (len(posted) < 3 || posted[0][1] != "#"+sandbox.SlackChannel ||
			!strings.Contains(out, "What got in the way?") || !strings.Contains(out, "one-on-one")) {
			t.Errorf("run 1: want the weekly report in #%s and the nudge in a DM, got %v:\n%s", sandbox.SlackChannel, posted, out)
		}
		if run == 2 && len(posted) != 0 {
			t.Errorf("run 2 posted again: %v", posted)
		}
	}
}
