package gitlab

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/gitlabfake"
	"github.com/goalpost/goalpost/pipeline/event"
)

// TestPollIncremental: a poll reads merge requests and deploys once; a
// poll with nothing new costs one list request per resource and publishes
// nothing new.
func TestPollIncremental(t *testing.T) {
	e := newEnv(t, nil)
	e.deploy(1, e.head, "success")
	e.merge("one", false)
	e.fake.AddMR(testProject, gitlabfake.MR{IID: 99, Title: "still open", Author: "bob", State: "opened",
		SourceBranch: "wip", TargetBranch: "main", CreatedAt: e.now})
	e.deploy(2, e.head, "success")
	e.poll()
	if got := len(e.pub.kind(event.KindPullRequestMerged)); got != 1 {
		t.Fatalf("merged events %d", got)
	}
	if got := len(e.pub.kind(event.KindPullRequestOpened)); got != 2 {
		t.Fatalf("opened events %d", got)
	}
	before, n := len(e.pub.events), e.fake.Requests()
	e.poll()
	if cost := e.fake.Requests() - n; cost != 2 {
		t.Fatalf("a poll with nothing new cost %d requests, want 2 (merge requests, deployments)", cost)
	}
	if len(e.pub.events) != before {
		t.Fatal("a poll with nothing new published events")
	}
	// A restarted goalpost continues from the stored cursors.
	e.src = e.newSource()
	e.merge("two", true)
	e.deploy(3, e.head, "success")
	e.poll()
	if got := e.shippedBy(3); len(got) != 1 || got[0] != 2 {
		t.Fatalf("deployment 3 shipped %v", got)
	}
}

// TestPollRateLimited: a 429 is retried after GitLab's RateLimit-Reset (or
// Retry-After); a wait above max_wait fails the poll, cursors unmoved.
func TestPollRateLimited(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxWait.Duration = time.Minute })
	e.merge("one", false)
	e.fake.Inject(http.StatusTooManyRequests, "", e.now.Add(20*time.Second))
	e.fake.Inject(http.StatusTooManyRequests, "3", time.Time{})
	start := e.now
	e.poll()
	if waited := e.now.Sub(start); waited < 23*time.Second {
		t.Fatalf("waited %s, want the reset and Retry-After honoured", waited)
	}
	e.fake.Inject(http.StatusTooManyRequests, "3600", time.Time{})
	e.src = e.newSource() // forget the project list, so the first request is limited
	err := e.src.PollOnce(context.Background())
	if err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("poll error %v, want a wait-too-long failure", err)
	}
}

// TestGroupProjects: a group selects its projects (subgroups included) by
// include and exclude globs.
func TestGroupProjects(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Projects = nil
		c.Groups = []GroupConfig{{Path: "acme", Include: []string{"platform/*"}, Exclude: []string{"*/legacy"}}}
	})
	e.fake.AddProject("acme/platform/legacy", "main")
	e.fake.AddProject("acme/web", "main")
	ps, err := e.src.targets(context.Background())
	must(t, err)
	if len(ps) != 1 || ps[0].Path != testProject {
		t.Fatalf("projects %+v", ps)
	}
}
