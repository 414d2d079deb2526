package github

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/pipeline/event"
)

// TestPullChangingStateInTheSecondItWasRead: GitHub times have one-second
// resolution, so a PR read by a poll and merged later within the same second
// keeps its updated_at. The merge must still be published.
func TestPullChangingStateInTheSecondItWasRead(t *testing.T) {
	e := newEnv(t, nil)
	n, err := e.fake.AddPullRequest(testRepo, githubfake.PullRequest{Title: "quick fix", Author: "alice"})
	must(t, err)
	second := e.clk.now()
	e.poll() // reads the open PR at updated_at == second
	_, err = e.fake.MergePullRequest(testRepo, n, githubfake.MergeOptions{At: second})
	must(t, err)
	e.clk.add(time.Minute)
	e.poll()
	if _, ok := e.pub.get(fmt.Sprintf("github:pr:%s#%d:merged", testRepo, n)); !ok {
		t.Fatal("a merge in the same second as the poll that read the open PR was never published")
	}
	calls := e.pub.calls
	e.poll()
	if e.pub.calls != calls {
		t.Fatalf("a poll with nothing new published again (%d calls, was %d)", e.pub.calls, calls)
	}
}

// TestDeployOfUnknownCommitKeepsTheRange: a deploy naming a commit GitHub
// does not have (a CI document with a wrong or unpushed sha) ships nothing,
// and must not become the base of the next deploy, whose PRs would be lost.
func TestDeployOfUnknownCommitKeepsTheRange(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	base := attribution.Deploy{Source: event.SourceDeploy, Repo: testRepo, Environment: "production", Succeeded: true}
	publish := func(key, sha string) event.Event {
		t.Helper()
		d := base
		d.Key, d.SHA, d.At = key, sha, e.clk.now()
		must(t, e.src.Attribution().Publish(ctx, d))
		e.clk.add(time.Minute)
		ev, ok := e.pub.get(d.EventID())
		if !ok {
			t.Fatalf("no event for %s", key)
		}
		return ev
	}
	publish("ci-1", e.head())
	a, _ := e.merge("one", "alice")
	if ev := publish("ci-2", "0123456789abcdef0123456789abcdef01234567"); len(ev.Shipped) != 0 {
		t.Fatalf("deploy of an unknown commit shipped %v", ev.Shipped)
	}
	b, _ := e.merge("two", "bob")
	ev := publish("ci-3", e.head())
	var got []int
	for _, s := range ev.Shipped {
		got = append(got, s.Number)
	}
	if !slices.Equal(got, []int{a, b}) {
		t.Fatalf("deploy after one of an unknown commit shipped %v (attribution %s), want [%d %d]", got, ev.Attrs["attribution"], a, b)
	}
}

// TestPendingDeploymentDeleted: a deployment still waiting for its final
// status when it is deleted (with its environment, say) answers 404; it must
// be dropped instead of failing every later poll of the repository's
// deployments.
func TestPendingDeploymentDeleted(t *testing.T) {
	e := newEnv(t, nil)
	e.deploy("production", e.head(), "success")
	e.poll()
	gone := e.deploy("production", e.head(), "in_progress")
	e.poll()
	must(t, e.fake.DeleteDeployment(testRepo, gone))
	a, _ := e.merge("one", "alice")
	id := e.deploy("production", e.head(), "success")
	if err := e.src.PollOnce(context.Background()); err != nil {
		t.Fatalf("poll after a pending deployment was deleted: %v", err)
	}
	if got := e.shippedBy(id); !slices.Equal(got, []int{a}) {
		t.Fatalf("shipped %v, want [%d]", got, a)
	}
}

// TestRerunOfDeployWorkflow: "Re-run jobs" keeps the run's id and raises its
// run_attempt; the webhook reports the new attempt (run-ID.2) and so must
// the poller, or a deploy that succeeded on its second attempt is lost when
// the webhook is.
func TestRerunOfDeployWorkflow(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Repos[0].DeployWorkflow = "deploy.yml" })
	run := func(concl string) int64 {
		e.clk.add(time.Minute)
		id, err := e.fake.AddWorkflowRun(testRepo, githubfake.WorkflowRun{Workflow: "deploy.yml", Conclusion: concl, Actor: "ci-bot"})
		must(t, err)
		e.clk.add(time.Minute)
		return id
	}
	run("success")
	e.poll()
	a, _ := e.merge("one", "alice")
	failed := run("failure")
	e.poll()
	if _, ok := e.pub.get(fmt.Sprintf("github:deploy:%s:run-%d.1:failed", testRepo, failed)); !ok {
		t.Fatal("failed run is no deployment.failed")
	}
	must(t, e.fake.RerunWorkflowRun(testRepo, failed, e.clk.now()))
	e.clk.add(time.Minute)
	e.poll() // the second attempt is running
	must(t, e.fake.CompleteWorkflowRun(testRepo, failed, "success", e.clk.now()))
	e.clk.add(time.Minute)
	e.poll()
	ev, ok := e.pub.get(fmt.Sprintf("github:deploy:%s:run-%d.2:succeeded", testRepo, failed))
	if !ok || len(ev.Shipped) != 1 || ev.Shipped[0].Number != a {
		t.Fatalf("second attempt of a deploy run: %+v (found %v)", ev, ok)
	}
	calls := e.pub.calls
	e.poll()
	if e.pub.calls != calls {
		t.Fatalf("a poll with nothing new published again (%d calls, was %d)", e.pub.calls, calls)
	}

	// A rerun completed between two polls is found too.
	b, _ := e.merge("two", "bob")
	again := run("failure")
	e.poll()
	must(t, e.fake.RerunWorkflowRun(testRepo, again, e.clk.now()))
	e.clk.add(time.Minute)
	must(t, e.fake.CompleteWorkflowRun(testRepo, again, "success", e.clk.now()))
	e.clk.add(time.Minute)
	e.poll()
	ev, ok = e.pub.get(fmt.Sprintf("github:deploy:%s:run-%d.2:succeeded", testRepo, again))
	if !ok || len(ev.Shipped) != 1 || ev.Shipped[0].Number != b {
		t.Fatalf("rerun completed between polls: %+v (found %v)", ev, ok)
	}
}

// TestWebhookOnlyForSelectedRepositories: an organization webhook delivers
// every repository's events; those of repositories the configuration does
// not select (excluded, or not listed at all) must count no more than the
// poller counts them: not at all.
func TestWebhookOnlyForSelectedRepositories(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Orgs = []OrgConfig{{Name: "acme", Exclude: []string{"legacy-*"}}}
	})
	merged := func(repo string) []byte {
		t.Helper()
		if repo != testRepo {
			must(t, e.fake.AddRepo(repo, "main"))
		}
		n, err := e.fake.AddPullRequest(repo, githubfake.PullRequest{Title: "x", Author: "bob"})
		must(t, err)
		_, err = e.fake.MergePullRequest(repo, n, githubfake.MergeOptions{})
		must(t, err)
		b, err := json.Marshal(map[string]any{
			"action": "closed", "number": n, "repository": e.apiGet("/repos/" + repo),
			"pull_request": e.apiGet(fmt.Sprintf("/repos/%s/pulls/%d", repo, n)),
		})
		must(t, err)
		return b
	}
	for i, repo := range []string{"acme/legacy-billing", "other/app", "acme/web", testRepo} {
		if code := e.deliver("pull_request", fmt.Sprint("d-", i), merged(repo)); code != 200 {
			t.Fatalf("%s: status %d", repo, code)
		}
	}
	repos := map[string]bool{}
	for _, ev := range e.pub.all() {
		repos[ev.Repo] = true
	}
	if len(repos) != 2 || !repos["acme/web"] || !repos[testRepo] {
		t.Fatalf("webhook published events of %v, want acme/web and acme/api only", repos)
	}
}
