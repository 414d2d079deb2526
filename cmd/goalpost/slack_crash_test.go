package main

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/sandbox/slackfake"
)

const slackBot = "xoxb-crash-test"

// TestSIGKILLMidSlackSendPostsOnce runs the real binary with a Slack app
// (the weekly report, due now, and a wins message), lets the fake Slack
// make one post and withhold its answer, SIGKILLs the process while it
// waits, restarts it, and checks that every message key (the report's
// parts, the wins batch) was posted exactly once: the restarted process
// finds the message by its metadata key and edits it instead of posting
// again. The fake, like Slack, dedupes nothing.
func TestSIGKILLMidSlackSendPostsOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	now := time.Now().UTC()
	day := now.Truncate(24 * time.Hour)
	if day.Add(24*time.Hour).Sub(now) < 3*time.Minute {
		t.Skip("too close to midnight UTC: the wins interval (one day) would end during the test")
	}
	bin := buildBinary(t, t.TempDir())
	for _, tc := range []struct{ name, hold string }{
		{"killed while Slack answers the report", "report:"},
		{"killed while Slack answers the wins message", "wins:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fake := slackfake.New(slackBot)
			srv := httptest.NewServer(fake)
			defer srv.Close()
			addr := freeAddr(t)
			base := slackDaemonConfig(dir, addr)
			cfgPath := filepath.Join(dir, "goalpost.toml")

			// The changes are stored first, by a run without Slack, so the
			// first Slack run has its wins from the start.
			mustWrite(t, cfgPath, base)
			proc := startProc(t, bin, cfgPath, addr)
			sendShippedChanges(t, addr, base, day.Add(now.Sub(day)/2))
			stopProc(t, proc)

			withSlack := base + slackSections(now.Weekday(), srv.URL)
			mustWrite(t, cfgPath, withSlack)
			made := fake.HoldNextPost(tc.hold)
			proc = startProc(t, bin, cfgPath, addr)
			var held slackfake.Message
			select {
			case held = <-made:
			case <-time.After(30 * time.Second):
				t.Fatalf("no %s post reached Slack", tc.hold)
			}
			_ = proc.Process.Signal(syscall.SIGKILL)
			_, _ = proc.Process.Wait()

			proc = startProc(t, bin, cfgPath, addr)
			waitForWithin(t, 30*time.Second, "the held message to be sent again and the report and wins posted", func() bool {
				keys := postsByKey(fake.All())
				again := editsOf(fake.All(), held.TS) > 0 || keys[held.Key] > 1
				return again && keys["wins:"+day.Format(time.RFC3339)] > 0 && hasPrefix(keys, "report:")
			})
			time.Sleep(time.Second) // let a second post, if any, land
			stopProc(t, proc)
			for key, n := range postsByKey(fake.All()) {
				if n != 1 {
					t.Errorf("message %q posted %d times, want once", key, n)
				}
			}
		})
	}
}

// slackDaemonConfig is daemonConfig with a ship-on-merge repository (a
// merged PR is a change that reached production) on fixed ports.
func slackDaemonConfig(dir, addr string) string {
	cfg := daemonConfig(filepath.Join(dir, "data"), "http://127.0.0.1:1/", 1<<20)
	cfg = strings.Replace(cfg, `listen = "127.0.0.1:0"`, fmt.Sprintf("listen = %q\nadmin_listen = \"127.0.0.1:0\"", addr), 1)
	cfg = strings.Replace(cfg, "name = \"acme/api\"\n", "name = \"acme/api\"\nship_on_merge = true\n", 1)
	return strings.Replace(cfg, `poll_interval = "1h"`, `poll_interval = "24h"`, 1)
}

// slackSections sends the weekly report now (its day is today, 00:00 UTC)
// and a wins message per day, through the Slack app at base; a report
// delivery cut off by the kill is taken up again after the shortest
// write lease.
func slackSections(today time.Weekday, base string) string {
	return fmt.Sprintf(`
[writeback]
lease = "10s"

[report]
day = %q
time = "00:00"

[[report.destinations]]
name = "slack"
type = "slack_app"
base_url = %q
token = %q
channel = "C0GOALPOST"

[report.wins]
destination = "slack"
interval = "24h"
`, strings.ToLower(today.String()), base, slackBot)
}

// sendShippedChanges posts three merged PRs by webhook and waits until
// they are counted.
func sendShippedChanges(t *testing.T, addr, cfgText string, at time.Time) {
	t.Helper()
	for n := 1; n <= 3; n++ {
		body := mergedPRPayload(n, at)
		if code := post(t, "http://"+addr+"/webhooks/github", "pull_request", fmt.Sprintf("d-%d", n), sign(body), body); code/100 != 2 {
			t.Fatalf("webhook #%d: %d", n, code)
		}
	}
	cfg, err := config.Parse("goalpost.toml", []byte(cfgText), nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the merged PRs to be counted", func() bool { return countMerged(t, cfg) >= 3 })
}

func mustWrite(t *testing.T, path, text string) {
	t.Helper()
	if err := writeFile(path, text); err != nil {
		t.Fatal(err)
	}
}

// postsByKey counts the messages made per goalpost message key.
func postsByKey(ms []slackfake.Message) map[string]int {
	out := map[string]int{}
	for _, m := range ms {
		out[m.Key]++
	}
	return out
}

func editsOf(ms []slackfake.Message, ts string) int {
	for _, m := range ms {
		if m.TS == ts {
			return m.Edits
		}
	}
	return 0
}

func hasPrefix(keys map[string]int, prefix string) bool {
	for k := range keys {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
