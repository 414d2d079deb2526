package main

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox"
)

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
	want := newDemoWorld(sandbox.NewCompany(time.Now())).expected()
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
		for _, page := range []string{"Ship 180 changes to production", "Change failure rate under 10%", "Passkeys deployed to production", "80% of the passwordless launch board done"} {
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
		if !strings.Contains(out, "The owner of "+demoNoteKR+" wrote under its check-in in Notion") {
			t.Errorf("run %d: the owner's note was not read back from the sandbox's Notion:\n%s", run, out)
		}
		if _, md, _ := runCLI(t, "report", "-c", filepath.Join(dir, "goalpost.toml")); !strings.Contains(md, demoNote) {
			t.Errorf("run %d: the check-in's narrative does not show the note typed in Notion:\n%s", run, md)
		}
	}
}
