package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/writeback/outbox"
)

var updateTerminal = flag.Bool("update-terminal", false, "rewrite the terminal golden files in testdata/terminal")

// terminalNow is the fixed clock of the terminal golden tests: a Wednesday
// in the middle of Q4 2026.
var terminalNow = time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)

// seedTerminal fills a store from testdata/terminal: the merged pull
// requests, a manual value, a failing source, and a key-result write and a
// weekly report parked with long reasons. It returns the configuration's
// path.
func seedTerminal(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "terminal", "goalpost.toml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "goalpost.toml")
	if err := writeFile(path, strings.ReplaceAll(string(src), "DATA_DIR", filepath.ToSlash(dir))); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	cfg, err := config.LoadLenient(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(ctx, cfg, discardLog(), buildOptions{out: &cliEnv{now: func() time.Time { return terminalNow }}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if err := a.engine.Handle(ctx, readTerminalEvents(t)); err != nil {
		t.Fatal(err)
	}
	if err := a.engine.SetManual(ctx, "nps", 31, "alice", "survey of 42 engineers, November"); err != nil {
		t.Fatal(err)
	}
	if err := a.store.RecordPoll(ctx, "github", terminalNow.Add(-3*time.Minute),
		errors.New("github: GET /repos/acme/api/pulls: 502 Bad Gateway: the upstream answered with an HTML error page")); err != nil {
		t.Fatal(err)
	}
	update, _ := outbox.Update{KRKey: "perf-changes", Status: "on_track"}.Encode()
	parkOne(t, a.store, store.Write{Target: outbox.NotionPage("page-perf"), KRKey: "perf-changes", Payload: update},
		`notion: page page-perf does not match the config: property "Current" is missing; property "Status" has no option "At risk" (add it in Notion or set [notion.status_names])`, terminalNow.Add(-time.Hour))
	rep := outbox.Report{Team: "platform", Week: "2026-W47", Destination: "eng"}
	payload, _ := rep.Encode()
	parkOne(t, a.store, store.Write{Target: rep.Target(), Payload: payload}, "slack webhook: status 404: no_service", terminalNow.Add(-2*time.Hour))
	return path
}

func readTerminalEvents(t *testing.T) []event.Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "terminal", "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var evs []event.Event
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		var ev event.Event
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// TestTerminalGolden runs status, baseline and explain against the seeded
// store at a fixed time and compares their output with
// testdata/terminal/*.golden (go test -run TestTerminalGolden -update-terminal
// rewrites them). Every line fits 100 columns.
func TestTerminalGolden(t *testing.T) {
	path := seedTerminal(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"status", []string{"status"}},
		{"baseline", []string{"baseline", "--weeks", "6"}},
		{"baseline_wide", []string{"baseline", "--weeks", "13"}},
		{"explain", []string{"explain", "perf-changes"}},
		{"explain_metric", []string{"explain", "lead-time"}},
		{"explain_manual", []string{"explain", "nps"}},
		{"explain_item", []string{"explain", "perf-changes", "--item", "https://github.com/acme/api/pull/3"}},
		// -o json: the JSON API's views (GET /api/v1/status, baseline,
		// krs/perf-changes, report?week=2026-W47), not a second serialization.
		{"status_json", []string{"status", "-o", "json"}},
		{"baseline_json", []string{"baseline", "-o", "json"}},
		{"explain_json", []string{"explain", "perf-changes", "-o", "json"}},
		{"report_json", []string{"report", "--week", "2026-W47", "-o", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			env := &cliEnv{stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
				lookupEnv: func(string) (string, bool) { return "", false }, now: func() time.Time { return terminalNow }}
			if code := runMain(context.Background(), append(tc.args, "-c", path), env); code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
			}
			got := strings.ReplaceAll(out.String(), filepath.Dir(path), "DATA_DIR")
			for i, line := range strings.Split(got, "\n") {
				if n := utf8.RuneCountInString(line); n > present.Width && !strings.HasSuffix(tc.name, "_json") {
					t.Errorf("line %d is %d columns wide (max %d):\n%s", i+1, n, present.Width, line)
				}
			}
			golden := filepath.Join("testdata", "terminal", tc.name+".golden")
			if *updateTerminal {
				if err := os.WriteFile(golden, []byte(got), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-terminal to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update-terminal after checking):\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}
