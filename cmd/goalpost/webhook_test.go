package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
)

const hookSecret = "it-is-a-webhook-secret"

// daemonConfig is a minimal configuration: GitHub (webhook + poller against
// a fake), one count key result over merged pull requests.
func daemonConfig(dataDir, githubURL string, maxBody int) string {
	now := time.Now().UTC()
	return fmt.Sprintf(`data_dir = %q
log_level = "error"
[server]
listen = "127.0.0.1:0"
max_body_bytes = %d
[github]
base_url = %q
token = "test-token"
webhook_secret = %q
poll_interval = "1h"
[[github.repos]]
name = "acme/api"
[[people]]
key = "ana"
github = "ana-lima"
time_zone = "UTC"
[[objectives]]
key = "ship"
title = "Ship"
start = %q
end = %q
[[objectives.key_results]]
key = "merged-10"
title = "Merge 10 PRs"
type = "count"
target = 10
match = 'kind == "pull_request.merged"'
`, dataDir, maxBody, githubURL, hookSecret, now.AddDate(0, 0, -30).Format(time.DateOnly), now.AddDate(0, 0, 30).Format(time.DateOnly))
}

func mergedPRPayload(number int, mergedAt time.Time) []byte {
	return []byte(fmt.Sprintf(`{"action":"closed","number":%[1]d,
 "pull_request":{"id":%[1]d,"number":%[1]d,"state":"closed","merged":true,"title":"Change %[1]d",
  "html_url":"https://github.com/acme/api/pull/%[1]d","user":{"login":"ana-lima"},"labels":[],
  "created_at":"%[2]s","updated_at":"%[2]s","closed_at":"%[2]s","merged_at":"%[2]s",
  "merge_commit_sha":"%040[1]d","head":{"ref":"ana/change-%[1]d","sha":"%040[1]d"},"base":{"ref":"main"}},
 "repository":{"id":1,"name":"api","full_name":"acme/api","owner":{"login":"acme"},"default_branch":"main"},
 "sender":{"login":"ana-lima"}}`, number, mergedAt.UTC().Format(time.RFC3339)))
}

func sign(body []byte) string { return signWith(hookSecret, body) }

func signWith(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func post(t testing.TB, url, event, delivery, signature string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// startDaemon builds the app from cfgText and runs it until the test ends.
func startDaemon(t testing.TB, cfgText string) (*app, string) {
	t.Helper()
	return startDaemonWith(t, cfgText, nil)
}

// startDaemonWith is startDaemon with adjust applied to the built app
// before it runs (nil: none).
func startDaemonWith(t testing.TB, cfgText string, adjust func(*app)) (*app, string) {
	t.Helper()
	cfg, err := config.Parse("test.toml", []byte(cfgText), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := build(ctx, cfg, slog.New(slog.DiscardHandler), daemon(&cliEnv{stdout: io.Discard, stderr: io.Discard}))
	if err != nil {
		t.Fatal(err)
	}
	if adjust != nil {
		adjust(a)
	}
	done := make(chan error, 1)
	go func() { done <- a.run(ctx, nil) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("daemon did not stop within 15s")
		}
		a.close()
	})
	addr, err := a.server.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return a, "http://" + addr + "/webhooks/github"
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitForWithin(t, 10*time.Second, what, cond)
}

func waitForWithin(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func krValue(t *testing.T, a *app, key string) float64 {
	t.Helper()
	rs, err := a.engine.Results(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.KRKey == key {
			return r.Current
		}
	}
	t.Fatalf("no result for %s", key)
	return 0
}

func TestWebhookReceiverGuarantees(t *testing.T) {
	gh := githubfake.New(githubfake.WithToken("test-token"))
	if err := gh.AddRepo("acme/api", "main"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gh.Handler())
	defer srv.Close()
	a, url := startDaemon(t, daemonConfig(t.TempDir(), srv.URL+"/", 4096))
	body := mergedPRPayload(7, time.Now().Add(-time.Hour))
	stored := func() int { n, _ := a.store.CountEvents(context.Background()); return n }

	tests := []struct {
		name      string
		delivery  string
		signature string
		body      []byte
		want      int
	}{
		{"missing signature", "d-1", "", body, http.StatusUnauthorized},
		{"bad signature", "d-2", sign([]byte("something else")), body, http.StatusUnauthorized},
		{"malformed body", "d-3", sign([]byte("{not json")), []byte("{not json"), http.StatusBadRequest},
		{"oversized body", "d-4", sign(bytes.Repeat([]byte("x"), 5000)), bytes.Repeat([]byte("x"), 5000), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := post(t, url, "pull_request", tt.delivery, tt.signature, tt.body); got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
			if n := stored(); n != 0 {
				t.Fatalf("%d events stored; a rejected delivery must store nothing", n)
			}
		})
	}

	t.Run("duplicate deliveries count once", func(t *testing.T) {
		for _, delivery := range []string{"d-10", "d-10", "d-11"} { // a redelivery, then the same fact again
			if got := post(t, url, "pull_request", delivery, sign(body), body); got/100 != 2 {
				t.Fatalf("delivery %s: status %d", delivery, got)
			}
		}
		waitFor(t, "the event to be processed", func() bool { return krValue(t, a, "merged-10") >= 1 })
		time.Sleep(300 * time.Millisecond)
		// The payload is two facts: the pull request was opened, and merged.
		if v, n := krValue(t, a, "merged-10"), stored(); v != 1 || n != 2 {
			t.Fatalf("merged-10 = %v with %d events stored; want 1 and 2 (opened, merged)", v, n)
		}
	})

	t.Run("no 2xx unless the stream stored the event", func(t *testing.T) {
		a.conn.NC.Close() // the stream is gone
		other := mergedPRPayload(8, time.Now())
		if got := post(t, url, "pull_request", "d-20", sign(other), other); got/100 == 2 {
			t.Fatalf("status %d: a webhook must not be acknowledged when its event was not stored", got)
		}
	})
}

func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := dir + "/" + name
		if err := writeFile(p, text); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.toml", daemonConfig(dir, "http://127.0.0.1:1/", 4096))
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"example config", []string{"check", "-c", "../../config.example.toml"}, exitOK, ""},
		{"valid config", []string{"check", "-c", good}, exitOK, ""},
		{"unknown key", []string{"check", "-c", write("unknown.toml", "data_dir = \"x\"\n[server]\nlisen = \"a\"\n")}, exitUsage, "unknown.toml:3: server.lisen: unknown key"},
		{"wrong type", []string{"check", "-c", write("type.toml", "[server]\nmax_body_bytes = \"lots\"\n")}, exitUsage, "type.toml:2: server.max_body_bytes"},
		{"secret from an unset variable", []string{"check", "--require-env", "-c", write("secret.toml", "[github]\ntoken = \"${GOALPOST_TEST_UNSET}\"\n")}, exitUsage, "secret.toml:2: github.token: environment variable GOALPOST_TEST_UNSET is not set"},
		{"unset variable is a warning for check", []string{"check", "-c", dir + "/secret.toml"}, exitOK, "warning: " + dir + "/secret.toml:2: github.token"},
		{"run refuses an unset variable", []string{"sync", "--once", "-c", dir + "/secret.toml"}, exitUsage, "secret.toml:2: github.token: environment variable GOALPOST_TEST_UNSET is not set"},
		{"secret missing", []string{"check", "-c", write("nosecret.toml", "data_dir = \"x\"\n[notion]\nbase_url = \"https://api.notion.com/v1/\"\n")}, exitUsage, "nosecret.toml:2: notion.token"},
		{"bad rule", []string{"check", "-c", write("rule.toml", strings.Replace(daemonConfig(dir, "http://x/", 4096), `kind == "pull_request.merged"`, `kind == "pull_request.merged" && nope > 1`, 1))}, exitUsage, "rule.toml:"},
		{"no config", []string{"check"}, exitUsage, "no configuration file"},
		{"unknown flag", []string{"check", "--bogus"}, exitUsage, "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.wantCode, tt.wantErr)
			}
			if strings.Contains(stderr, "test-token") || strings.Contains(stderr, hookSecret) {
				t.Fatalf("a secret was printed: %s", stderr)
			}
		})
	}
}
