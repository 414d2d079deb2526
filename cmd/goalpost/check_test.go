package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
)

// `check --print` shows the configuration goalpost runs with: every default
// filled in (not the zero values of unset keys), secrets redacted.
func TestCheckPrintShowsEffectiveDefaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "goalpost.toml")
	const secretValue = "ghp_N0T_F0R_PR1NT"
	cfg := `data_dir = "` + filepath.ToSlash(filepath.Join(dir, "data")) + `"

[github]
token = "` + secretValue + `"
[[github.repos]]
name = "acme/api"

[notion]
token = "secret_x"
[linear]
api_key = "lin_x"
[pagerduty]
token = "pd_x"

[report]
day = "friday"

[[objectives]]
key = "O1"
title = "Ship"
period = "2026-Q4"
[[objectives.key_results]]
key = "merged"
title = "Merge PRs"
type = "count"
match = 'kind == "pull_request.merged"'
target = 10
`
	if err := writeFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "check", "--print", "-c", path)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"read_timeout = '10s'", "write_timeout = '10s'", "shutdown_timeout = '10s'",
		"listen = '127.0.0.1:8080'",
		"tick_interval = '5m0s'",
		"stream = 'GOALPOST_EVENTS'", "max_deliver = 5", "duplicate_window = '2m0s'", "retention = '168h0m0s'", "ack_wait = '30s'",
		"poll_interval = '2s'", "retry_base = '30s'", "retry_max = '30m0s'", "lease = '2m0s'",
		"day = 'friday'", "time = '09:00'", "catch_up = '24h0m0s'", "grid_weeks = 4",
		"token = '[redacted]'",
		// connectors: base URLs, poll intervals, waits and rates
		"base_url = 'https://api.github.com/'", "poll_interval = '1m0s'", "max_wait = '1h0m0s'", "concurrency = 4", "requests_per_second = 10.0",
		"base_url = 'https://api.notion.com/v1/'", "requests_per_second = 3.0", "evidence_limit = 20",
		"base_url = 'https://api.linear.app/graphql'", "poll_interval = '5m0s'", "overlap = '2m0s'", "page_size = 50",
		"base_url = 'https://api.pagerduty.com'", "max_wait = '5m0s'",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check --print lacks %q:\n%s", want, out)
		}
	}
	for _, zero := range []string{"poll_interval = '0s'", "max_wait = '0s'", "read_timeout = '0s'", "tick_interval = '0s'", "base_url = ''\ntoken"} {
		if strings.Contains(out, zero) {
			t.Errorf("check --print shows an unset value (%q) instead of its default:\n%s", zero, out)
		}
	}
	if strings.Contains(out+errOut, secretValue) {
		t.Errorf("check --print shows the secret:\n%s", out)
	}
}

var updateGolden = flag.Bool("update-check", false, "rewrite the check golden files in testdata/check")

// TestCheckReportsEveryMistake: check on a file with five mistakes prints
// five errors, each with its file, line and key, in words, with a "did you
// mean" for each, and warns about what can only ever give 0 (an owner who is
// not a person, a misspelt kind, a number no connector sets).
func TestCheckReportsEveryMistake(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "check", "five_mistakes.toml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "five_mistakes.toml")
	if err := writeFile(path, string(src)); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "check", "-c", path)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitUsage, out, errOut)
	}
	got := strings.ReplaceAll(errOut, path, "five_mistakes.toml")
	golden := filepath.Join("testdata", "check", "five_mistakes.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-check)", err)
	}
	if got != string(want) {
		t.Errorf("check output differs from %s (run with -update-check to accept):\n%s", golden, got)
	}
	if n := strings.Count(got, "error: "); n != 5 || strings.Count(got, "did you mean") != 8 {
		t.Errorf("%d errors and %d suggestions, want 5 and 8", n, strings.Count(got, "did you mean"))
	}
	for _, goType := range []string{"float64", "rules.", "struct"} {
		if strings.Contains(got, goType) {
			t.Errorf("output names a Go type (%s)", goType)
		}
	}
}

// TestCheckWarnsOnLabelsNeverStored (issue 12.8): with a store holding
// events, check warns on each label a match rule or a ratio's scope names
// that no stored event carries, with a "did you mean", and is quiet about
// labels the events do carry (in any case). Without a store file it warns
// about none and creates no database.
func TestCheckWarnsOnLabelsNeverStored(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	path := filepath.Join(dir, "goalpost.toml")
	cfg := `data_dir = "` + filepath.ToSlash(data) + `"

[[objectives]]
key = "O1"
title = "Ship"
period = "2026-Q4"
[[objectives.key_results]]
key = "perf"
title = "Perf PRs"
type = "count"
match = 'has_label("Perf") && "auth" in labels'
target = 10
[[objectives.key_results]]
key = "typo"
title = "Security PRs"
type = "count"
match = 'has_label("securty") || label_matches("infra-*")'
target = 10
[[objectives.key_results]]
key = "epic"
title = "Billing done"
type = "ratio"
scope = "label:biling"
target = 80
`
	if err := writeFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(data, "goalpost.db")

	t.Run("no store", func(t *testing.T) {
		code, out, errOut := runCLI(t, "check", "-c", path)
		if code != exitOK || strings.Contains(errOut, "label") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
			t.Fatalf("check created the store: %v", err)
		}
	})

	t.Run("store with labels", func(t *testing.T) {
		st, err := store.Open(t.Context(), dbPath, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		err = st.InTx(t.Context(), func(tx *store.Tx) error {
			for i, labels := range [][]string{{"perf", "auth"}, {"security"}, {"billing"}, nil} {
				ev := event.Event{ID: fmt.Sprintf("e%d", i), Source: event.SourceGitHub, Kind: event.KindPullRequestMerged,
					OccurredAt: at, Unit: fmt.Sprintf("acme/api#%d", i), Labels: labels}
				if _, err := tx.InsertEvent(t.Context(), ev); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runCLI(t, "check", "-c", path)
		if code != exitOK {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		for _, want := range []string{
			`objectives[0].key_results[1].match: key result "typo": label "securty" is on no stored event; did you mean "security"?`,
			`key result "typo": label_matches("infra-*") matches no label on a stored event`,
			`objectives[0].key_results[2].scope: key result "epic": label "biling" is on no stored event; did you mean "billing"?`,
		} {
			if !strings.Contains(errOut, want) {
				t.Errorf("check lacks %q:\n%s", want, errOut)
			}
		}
		if n := strings.Count(errOut, "stored event"); n != 3 {
			t.Errorf("%d label warnings, want 3 (Perf and auth are stored):\n%s", n, errOut)
		}
	})
}
