package gitlab

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/goalpost/goalpost/internal/fixtures"
	"github.com/goalpost/goalpost/pipeline/event"
)

// hookKinds maps a fixture's object_kind to its X-Gitlab-Event header.
var hookKinds = map[string]string{
	"merge_request": "Merge Request Hook", "deployment": "Deployment Hook", "pipeline": "Pipeline Hook",
	"push": "Push Hook", "build": "Job Hook",
}

// TestRecordedWebhookPayloads: every recorded GitLab delivery decodes into
// the documented events, and the webhook accepts it with the secret token.
func TestRecordedWebhookPayloads(t *testing.T) {
	dir := fixtures.Dir(t, "gitlab")
	files, err := filepath.Glob(filepath.Join(dir, "webhook.*.json"))
	must(t, err)
	want := map[string][]string{ // file name prefix → kinds (events, then deploys)
		"webhook.merge_request.open.":   {event.KindPullRequestOpened},
		"webhook.merge_request.reopen.": {event.KindPullRequestOpened},
		"webhook.merge_request.close.":  {event.KindPullRequestOpened, event.KindPullRequestClosed},
		"webhook.merge_request.merge.":  {event.KindPullRequestOpened, event.KindPullRequestMerged},
		"webhook.deployment.success.":   {event.KindDeploymentSucceeded},
		"webhook.deployment.failed.":    {event.KindDeploymentFailed},
		"webhook.pipeline.":             nil,
		"webhook.push.":                 nil,
		"webhook.job.":                  nil,
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			payload, err := os.ReadFile(file)
			must(t, err)
			var probe struct {
				Kind    string `json:"object_kind"`
				Project struct {
					Path string `json:"path_with_namespace"`
				} `json:"project"`
			}
			must(t, json.Unmarshal(payload, &probe))
			e := newEnv(t, func(c *Config) {
				c.ProductionEnvironments = []string{"production", "staging"}
				if probe.Project.Path != "" {
					c.Projects = append(c.Projects, ProjectConfig{Path: probe.Project.Path})
				}
			})
			res, err := translate(e.cfg, hookKinds[probe.Kind], payload)
			must(t, err)
			var got []string
			for _, ev := range res.events {
				must(t, ev.Validate())
				got = append(got, ev.Kind)
			}
			for _, d := range res.deploys {
				ev := d.Event()
				must(t, ev.Validate())
				if len(d.SHA) != 40 {
					t.Errorf("deploy sha %q: want the full sha from commit_url", d.SHA)
				}
				got = append(got, ev.Kind)
			}
			for prefix, kinds := range want {
				if strings.HasPrefix(name, prefix) && strings.Join(got, ",") != strings.Join(kinds, ",") {
					t.Fatalf("kinds %v, want %v", got, kinds)
				}
			}
			if code := e.deliver(hookKinds[probe.Kind], "fixture-"+name, payload); code != 200 {
				t.Fatalf("webhook answered %d", code)
			}
		})
	}
}

// TestRecordedRESTPayloads: the recorded API answers decode through
// client-go into merge requests, deploys and commit ranges.
func TestRecordedRESTPayloads(t *testing.T) {
	dir := fixtures.Dir(t, "gitlab")
	read := func(name string, v any) bool {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			return false
		}
		must(t, err)
		must(t, json.Unmarshal(b, v))
		return true
	}
	var merged gl.MergeRequest
	if read("rest.merge_request.get.merged.gitlab4j.json", &merged) {
		m := newMRInfo("my-group/my-project", &merged.BasicMergeRequest)
		if !m.merged() || m.landed() != "37a1f246848c3dc2bb82964a183417e2e72fe1a7" || m.Author != "admin" {
			t.Fatalf("merged MR read as %+v", m)
		}
		for _, ev := range m.facts() {
			must(t, ev.Validate())
		}
	}
	lists, _ := filepath.Glob(filepath.Join(dir, "rest.merge_requests.list.*.json"))
	for _, f := range lists {
		var mrs []*gl.BasicMergeRequest
		read(filepath.Base(f), &mrs)
		for _, mr := range mrs {
			for _, ev := range newMRInfo("g/p", mr).facts() {
				must(t, ev.Validate())
			}
		}
	}
	var deps []*gl.Deployment
	if read("rest.deployments.list.gitlab-docs.json", &deps) {
		st := settings{}
		for _, dep := range deps {
			if d, ok := deploymentDeploy("g/p", st, dep); ok {
				must(t, d.Event().Validate())
			} else if dep.Status == "success" && dep.Environment.Name == "production" {
				t.Fatalf("deployment %d not read as a deploy", dep.ID)
			}
		}
	}
	for _, name := range []string{"rest.repository.compare.go-scm.json", "rest.repository.compare.gitlab4j.json"} {
		var cmp gl.Compare
		if read(name, &cmp) && (len(cmp.Commits) == 0 || cmp.Commits[0].ID == "") {
			t.Fatalf("%s: no commits", name)
		}
	}
}
