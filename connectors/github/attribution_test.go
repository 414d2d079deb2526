package github

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/pipeline/event"
)

func TestAttributionSeveralPRsInOneDeploy(t *testing.T) {
	e := newEnv(t, nil)
	first := e.deploy("production", e.head(), "queued", "in_progress", "success")
	e.poll()
	a, _ := e.merge("AUTH-1 passkeys", "alice")
	b, _ := e.merge("faster search", "bob")
	c, _ := e.merge("fix login ENG-42", "carol")
	second := e.deploy("production", e.head(), "in_progress", "success")
	e.poll()

	if got := e.shippedBy(first); len(got) != 0 {
		t.Fatalf("first deploy shipped %v, want nothing", got)
	}
	if got, want := e.shippedBy(second), []int{a, b, c}; !slices.Equal(got, want) {
		t.Fatalf("second deploy shipped %v, want %v", got, want)
	}
	dep, _ := e.pub.get(fmt.Sprintf("github:deploy:%s:%d:succeeded", testRepo, second))
	if dep.Numbers["shipped_count"] != 3 || dep.ActorHandle != "deployer" || dep.Environment != "production" || dep.Attrs["attribution"] != "compare" {
		t.Fatalf("deploy event %+v", dep)
	}
	shipped := e.pub.kind(event.KindChangeShipped)
	if len(shipped) != 3 {
		t.Fatalf("%d change.shipped, want 3", len(shipped))
	}
	ev, _ := e.pub.get(fmt.Sprintf("github:shipped:%s#%d", testRepo, a))
	merged, _ := e.pub.get(fmt.Sprintf("github:pr:%s#%d:merged", testRepo, a))
	wantLead := ev.OccurredAt.Sub(merged.OccurredAt).Seconds()
	if ev.ActorHandle != "alice" || ev.Numbers["lead_time_seconds"] != wantLead || wantLead <= 0 ||
		!slices.Equal(ev.Links, []string{"AUTH-1"}) || ev.OccurredAt != dep.OccurredAt {
		t.Fatalf("change.shipped %+v (want lead %v)", ev, wantLead)
	}
}

func TestAttributionFailedThenSuccess(t *testing.T) {
	e := newEnv(t, nil)
	e.deploy("production", e.head(), "success")
	a, _ := e.merge("one", "alice")
	failed := e.deploy("production", e.head(), "in_progress", "failure")
	e.poll()
	if _, ok := e.pub.get(fmt.Sprintf("github:deploy:%s:%d:failed", testRepo, failed)); !ok {
		t.Fatal("no deployment.failed")
	}
	if n := len(e.pub.kind(event.KindChangeShipped)); n != 0 {
		t.Fatalf("a failed deploy shipped %d changes", n)
	}
	b, _ := e.merge("two", "bob")
	errored := e.deploy("production", e.head(), "error")
	ok := e.deploy("production", e.head(), "success")
	e.poll()
	if _, found := e.pub.get(fmt.Sprintf("github:deploy:%s:%d:failed", testRepo, errored)); !found {
		t.Fatal("an errored deploy is a failed deploy")
	}
	if got := e.shippedBy(ok); !slices.Equal(got, []int{a, b}) {
		t.Fatalf("success after failures shipped %v, want [%d %d]", got, a, b)
	}
}

func TestAttributionStagingOnlyAndNeverDeployed(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Repos[0].ProductionEnvironments = []string{"production", "prod-*"} })
	e.deploy("production", e.head(), "success")
	a, _ := e.merge("staged", "alice")
	e.deploy("staging", e.head(), "success")
	e.poll()
	for _, ev := range e.pub.all() {
		if ev.Environment == "staging" {
			t.Fatalf("staging deploy produced %s", ev.ID)
		}
	}
	if _, ok := e.pub.get(fmt.Sprintf("github:pr:%s#%d:merged", testRepo, a)); !ok {
		t.Fatal("merged PR not published")
	}
	if n := len(e.pub.kind(event.KindChangeShipped)); n != 0 {
		t.Fatalf("merged-but-not-deployed PR shipped (%d)", n)
	}
	prod := e.deploy("prod-eu", e.head(), "success")
	e.poll()
	if got := e.shippedBy(prod); len(got) != 0 {
		t.Fatalf("first deploy of prod-eu shipped %v; environments are attributed separately", got)
	}
}

func TestAttributionMoreThan250Commits(t *testing.T) {
	e := newEnv(t, nil)
	e.deploy("production", e.head(), "success")
	e.poll()
	var want []int
	for i := range 260 {
		n, _ := e.merge(fmt.Sprint("change ", i), "alice")
		want = append(want, n)
	}
	id := e.deploy("production", e.head(), "success")
	e.fake.ResetStats()
	e.poll()
	if got := e.shippedBy(id); !slices.Equal(got, want) {
		t.Fatalf("shipped %d PRs, want %d", len(got), len(want))
	}
	if n, _ := e.requests("/repos/acme/api/compare/"); n != 3 {
		t.Fatalf("%d compare requests, want 3 pages of 100", n)
	}
	if n := prsForCommitCalls(e); n != 0 {
		t.Fatalf("%d PRs-for-commit calls; the PR poll already knew every merge commit", n)
	}
}

func prsForCommitCalls(e *env) int {
	n := 0
	for p, s := range e.fake.Stats().Paths {
		if strings.HasPrefix(p, "/repos/acme/api/commits/") && strings.HasSuffix(p, "/pulls") {
			n += s.Total
		}
	}
	return n
}

func TestAttributionFirstDeploySeen(t *testing.T) {
	cases := []struct {
		name  string
		since string
		want  func(old, recent int) []int
	}{
		{"without since ships nothing", "", func(int, int) []int { return nil }},
		{"with since ships PRs merged since", "2026-07-02", func(_, recent int) []int { return []int{recent} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Since = tc.since })
			old, _ := e.merge("old", "alice")
			e.clk.add(24 * time.Hour)
			recent, _ := e.merge("recent", "bob")
			id := e.deploy("production", e.head(), "success")
			e.poll()
			if got, want := e.shippedBy(id), tc.want(old, recent); !slices.Equal(got, want) {
				t.Fatalf("shipped %v, want %v", got, want)
			}
		})
	}
}

func TestAttributionMergeStrategies(t *testing.T) {
	cases := []struct {
		method string
		calls  int // PRs-for-commit calls expected
	}{
		{"squash", 0},
		{"merge", 0},  // the branch commits are covered by the merge commit
		{"rebase", 1}, // the first replayed commit is not a merge commit
	}
	for _, tc := range cases {
		t.Run(tc.method, func(t *testing.T) {
			e := newEnv(t, nil)
			e.deploy("production", e.head(), "success")
			e.poll()
			n, _ := e.mergeWith("strategy", "alice", githubfake.MergeOptions{Method: tc.method})
			id := e.deploy("production", e.head(), "success")
			e.fake.ResetStats()
			e.poll()
			if got := e.shippedBy(id); !slices.Equal(got, []int{n}) {
				t.Fatalf("shipped %v, want [%d]", got, n)
			}
			if got := prsForCommitCalls(e); got != tc.calls {
				t.Fatalf("%d PRs-for-commit calls, want %d", got, tc.calls)
			}
		})
	}
}

func TestAttributionAfterRestartUsesPRsForCommit(t *testing.T) {
	e := newEnv(t, nil)
	e.deploy("production", e.head(), "success")
	a, _ := e.merge("one", "alice")
	e.poll() // the PR is published and indexed, then goalpost restarts
	e.src = e.newSource()
	direct, err := e.fake.AddCommit(testRepo, githubfake.Commit{Message: "hotfix", Author: "ops"})
	must(t, err)
	id := e.deploy("production", direct, "success")
	e.fake.ResetStats()
	e.poll()
	if got := e.shippedBy(id); !slices.Equal(got, []int{a}) {
		t.Fatalf("shipped %v, want [%d]", got, a)
	}
	if got := prsForCommitCalls(e); got != 2 {
		t.Fatalf("%d PRs-for-commit calls, want 2 (the squash commit and the hotfix)", got)
	}
}

func TestShipOnMerge(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Repos[0].ShipOnMerge = true })
	e.deploy("production", e.head(), "success")
	a, sha := e.merge("continuous", "alice")
	id := e.deploy("production", sha, "success")
	e.poll()
	ev, ok := e.pub.get(fmt.Sprintf("github:shipped:%s#%d", testRepo, a))
	merged, _ := e.pub.get(fmt.Sprintf("github:pr:%s#%d:merged", testRepo, a))
	if !ok || ev.Numbers["lead_time_seconds"] != 0 || !ev.OccurredAt.Equal(merged.OccurredAt) || ev.Environment != "production" {
		t.Fatalf("ship on merge: %+v", ev)
	}
	if got := e.shippedBy(id); len(got) != 0 {
		t.Fatalf("deploy of a ship_on_merge repo shipped %v again", got)
	}
}

func TestWorkflowRunDeploys(t *testing.T) {
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
	if _, err := e.fake.AddWorkflowRun(testRepo, githubfake.WorkflowRun{Workflow: "ci.yml", Conclusion: "success"}); err != nil {
		t.Fatal(err)
	}
	pending, err := e.fake.AddWorkflowRun(testRepo, githubfake.WorkflowRun{Workflow: "deploy.yml", Status: "in_progress", Actor: "ci-bot"})
	must(t, err)
	e.poll()
	if _, ok := e.pub.get(fmt.Sprintf("github:deploy:%s:run-%d.1:failed", testRepo, failed)); !ok {
		t.Fatal("failed run is no deployment.failed")
	}
	e.clk.add(time.Minute)
	must(t, e.fake.CompleteWorkflowRun(testRepo, pending, "success", e.clk.now()))
	e.poll()
	ev, ok := e.pub.get(fmt.Sprintf("github:deploy:%s:run-%d.1:succeeded", testRepo, pending))
	if !ok || len(ev.Shipped) != 1 || ev.Shipped[0].Number != a || ev.ActorHandle != "ci-bot" {
		t.Fatalf("pending run completing: %+v", ev)
	}
}

func TestDeployReportedByWebhookAndPoll(t *testing.T) {
	for _, order := range []string{"webhook first", "poll first"} {
		t.Run(order, func(t *testing.T) {
			e := newEnv(t, nil)
			e.deploy("production", e.head(), "success")
			e.poll()
			a, _ := e.merge("one", "alice")
			id := e.deploy("production", e.head(), "in_progress", "success")
			steps := []func(){
				func() {
					if code := e.deliver("deployment_status", "d-1", e.statusPayload(id)); code != 200 {
						t.Fatalf("webhook answered %d", code)
					}
				},
				e.poll,
			}
			if order == "poll first" {
				slices.Reverse(steps)
			}
			for _, step := range steps {
				step()
			}
			if got := e.shippedBy(id); !slices.Equal(got, []int{a}) {
				t.Fatalf("shipped %v", got)
			}
			deploys := 0
			for _, ev := range e.pub.all() {
				if ev.Kind == event.KindDeploymentSucceeded {
					deploys++
				}
			}
			if deploys != 2 || len(e.pub.kind(event.KindChangeShipped)) != 1 {
				t.Fatalf("%d deploy events, %d shipped; want 2 and 1", deploys, len(e.pub.kind(event.KindChangeShipped)))
			}
			st, _ := e.store.Cursor(context.Background(), "github", "deploy:acme/api:production")
			if !strings.Contains(st, `"sha"`) {
				t.Fatalf("attribution state %q", st)
			}
		})
	}
}

func TestAttributionOutOfOrderAndUnknownSHA(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	base := attribution.Deploy{Source: event.SourceDeploy, Repo: "ACME/API", Environment: "production"}
	first := base
	first.Key, first.SHA, first.Succeeded, first.At = "ci-1", e.head(), true, e.clk.now()
	must(t, e.src.Attribution().Publish(ctx, first))
	a, _ := e.merge("one", "alice")
	later := base
	later.Key, later.SHA, later.Succeeded, later.At = "ci-3", e.head(), true, e.clk.now().Add(time.Hour)
	must(t, e.src.Attribution().Publish(ctx, later))
	late := base
	late.Key, late.SHA, late.Succeeded, late.At = "ci-2", e.head(), true, e.clk.now()
	must(t, e.src.Attribution().Publish(ctx, late))
	get := func(key string) event.Event {
		ev, ok := e.pub.get("deploy:acme/api:production:" + key + ":succeeded")
		if !ok {
			t.Fatalf("no event for %s", key)
		}
		return ev
	}
	if ev := get("ci-3"); len(ev.Shipped) != 1 || ev.Shipped[0].Number != a || ev.Source != event.SourceDeploy {
		t.Fatalf("ci-3: %+v", ev)
	}
	if ev := get("ci-2"); len(ev.Shipped) != 0 || ev.Attrs["attribution"] != "out_of_order" {
		t.Fatalf("ci-2 arriving late: %+v", ev.Attrs)
	}
	must(t, e.store.SetCursor(ctx, "github", "deploy:acme/api:production", `{"sha":"0123456789abcdef0123456789abcdef01234567","at":"2026-07-01T00:00:00Z"}`))
	gone := base
	gone.Key, gone.SHA, gone.Succeeded, gone.At = "ci-4", e.head(), true, e.clk.now().Add(2*time.Hour)
	must(t, e.src.Attribution().Publish(ctx, gone))
	if ev := get("ci-4"); ev.Attrs["attribution"] != "unresolvable" {
		t.Fatalf("force-pushed base: %+v", ev.Attrs)
	}
}

// A first production deploy that ships 5,000 PRs, by poll and by webhook:
// every PR gets its change.shipped, the deploy event counts them all, and
// no event is larger than NATS's default max payload (1 MB).
func TestDeployShipping5000PRs(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 merges")
	}
	const prs = 5000
	for _, by := range []string{"poll", "webhook"} {
		t.Run(by, func(t *testing.T) {
			e := newEnv(t, nil)
			e.deploy("production", e.head(), "success")
			e.poll()
			for i := range prs {
				e.merge(fmt.Sprintf("change %d with a title of a usual length, AUTH-%d", i, i), "alice")
			}
			id := e.deploy("production", e.head(), "in_progress", "success")
			if by == "webhook" {
				// Correctness, not speed: a loaded machine may need more
				// than the production budget to attribute 5,000 merges.
				e.hook.budget = time.Minute
				if code := e.deliver("deployment_status", "d-big", e.statusPayload(id)); code != 200 {
					t.Fatalf("webhook answered %d", code)
				}
			} else {
				e.poll()
			}
			if n := len(e.pub.kind(event.KindChangeShipped)); n != prs {
				t.Fatalf("%d change.shipped, want %d", n, prs)
			}
			dep, _ := e.pub.get(fmt.Sprintf("github:deploy:%s:%d:succeeded", testRepo, id))
			if dep.Numbers["shipped_count"] != prs || len(dep.Shipped) != event.MaxShippedListed {
				t.Errorf("deploy event: shipped_count %v, %d listed", dep.Numbers["shipped_count"], len(dep.Shipped))
			}
			for _, ev := range e.pub.all() {
				if b, _ := json.Marshal(ev); len(b) > 1<<20-1024 {
					t.Fatalf("%s is %d bytes, over NATS's max payload", ev.ID, len(b))
				}
			}
		})
	}
}

// A deploy the webhook reports before any poll has read the repository's
// deploys is left to the first poll, which reads them oldest first: each
// change ships with the deploy that included it, and the history is not
// shipped by the newest deploy (which made the sandbox's lead time 540 h).
func TestWebhookDeployBeforeFirstPoll(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Since = t0.Add(-24 * time.Hour).Format(time.DateOnly) })
	old, _ := e.merge("old", "alice")
	first := e.deploy("production", e.head(), "success")
	recent, _ := e.merge("recent", "bob")
	last := e.deploy("production", e.head(), "success")
	if code := e.deliver("deployment_status", "d-last", e.statusPayload(last)); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	if n := len(e.pub.all()); n != 0 {
		t.Fatalf("the webhook published %d events before the first poll", n)
	}
	e.poll()
	if got := e.shippedBy(first); !slices.Equal(got, []int{old}) {
		t.Errorf("first deploy shipped %v, want [%d]", got, old)
	}
	if got := e.shippedBy(last); !slices.Equal(got, []int{recent}) {
		t.Errorf("last deploy shipped %v, want [%d]", got, recent)
	}
}
