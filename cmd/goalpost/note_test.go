package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestNoteShowsInCheckinAndDashboard: `goalpost note` keeps the owner's
// note for the week; the weekly check-in shows it in its narrative instead
// of the placeholder, and the key result's view (the dashboard's page and
// API, -o json) carries it; another week has none.
func TestNoteShowsInCheckinAndDashboard(t *testing.T) {
	path := seedTerminal(t)
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		env := &cliEnv{stdout: &out, stderr: &errb, getenv: func(string) string { return "alice" },
			lookupEnv: func(string) (string, bool) { return "", false }, now: func() time.Time { return terminalNow }}
		if code := runMain(context.Background(), append(args, "-c", path), env); code != exitOK {
			t.Fatalf("%v: exit %d\n%s", args, code, errb.String())
		}
		return out.String()
	}
	const note = "Plan: pair on the checkout; help: a second reviewer"
	if got := run("note", "perf-changes", note); !strings.Contains(got, "note for 2026-W48 kept") {
		t.Fatalf("note printed %q", got)
	}
	md := run("report")
	if !strings.Contains(md, "**: "+note) || strings.Contains(md, "add the story behind the numbers") {
		t.Errorf("the check-in's narrative does not show the note:\n%s", md)
	}
	if got := run("explain", "perf-changes", "-o", "json"); !strings.Contains(got, `"note": "`+note+`"`) {
		t.Errorf("the key result's view has no note:\n%s", got)
	}
	if got := run("report", "--week", "2026-W47"); strings.Contains(got, note) {
		t.Error("the note of 2026-W48 shows in 2026-W47")
	}
	run("note", "perf-changes", "")
	if got := run("report"); strings.Contains(got, note) {
		t.Error("an empty note did not clear it")
	}
}
