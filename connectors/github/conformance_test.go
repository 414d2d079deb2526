package github

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/internal/fixtures"
	"github.com/goalpost/goalpost/pipeline/event"
)

// fixturesDir finds ../shared/fixtures/<sub> beside the module root, or
// skips the test when it is absent.
func fixturesDir(t *testing.T, sub string) string {
	t.Helper()
	return fixtures.Dir(t, sub)
}

// TestRecordedWebhookPayloads sends every recorded GitHub payload through
// the webhook, signed: each must be accepted and turned into valid events
// (or none) without error.
func TestRecordedWebhookPayloads(t *testing.T) {
	dir := fixturesDir(t, "github-webhooks")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	must(t, err)
	if len(files) == 0 {
		t.Skip("no payloads")
	}
	want := map[string]string{ // payloads whose meaning is known
		"pull_request.closed.merged.json":                  event.KindPullRequestMerged,
		"pull_request.opened.json":                         event.KindPullRequestOpened,
		"pull_request.closed.unmerged.json":                event.KindPullRequestClosed,
		"release.published.json":                           event.KindReleasePublished,
		"deployment_status.created.success.json":           event.KindDeploymentSucceeded,
		"workflow_run.completed.json":                      event.KindDeploymentSucceeded,
		"deployment_status.created.queued.hephaestus.json": "",
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			payload, err := os.ReadFile(file)
			must(t, err)
			var delivery struct {
				Repository struct {
					FullName string `json:"full_name"`
				} `json:"repository"`
			}
			_ = json.Unmarshal(payload, &delivery)
			e := newEnv(t, func(c *Config) {
				c.Repos = append(c.Repos, RepoConfig{Name: "octo-org/octo-repo", DeployWorkflow: "test.yml"})
				if r := delivery.Repository.FullName; r != "" && !c.tracks(r) { // the webhook reads selected repositories only
					c.Repos = append(c.Repos, RepoConfig{Name: r})
				}
			})
			kind, _, _ := strings.Cut(name, ".")
			if _, err := translate(e.cfg, kind, payload); err != nil {
				t.Fatalf("translate: %v", err)
			}
			e.polled(delivery.Repository.FullName)
			if code := e.deliver(kind, "fixture-"+name, payload); code != 200 {
				t.Fatalf("webhook answered %d", code)
			}
			for _, ev := range e.pub.all() {
				must(t, ev.Validate())
			}
			if k, ok := want[name]; ok {
				if k == "" && len(e.pub.all()) != 0 {
					t.Fatalf("want no events, got %d", len(e.pub.all()))
				}
				if k != "" && len(e.pub.kind(k)) != 1 {
					t.Fatalf("want one %s, got %v", k, e.pub.all())
				}
			}
		})
	}
}
