package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/pipeline/event"
)

// seedActivity gives the repository PRs, deploys, a release, deploy
// workflow runs and webhook deliveries.
func seedActivity(t testing.TB, e *env) (hookID int64) {
	t.Helper()
	e.deploy("production", e.head(), "success")
	for i := range 3 {
		e.merge(fmt.Sprint("change ", i), "alice")
	}
	e.deploy("production", e.head(), "in_progress", "success")
	_, err := e.fake.AddRelease(testRepo, githubfake.Release{TagName: "v1", Author: "dana"})
	must(t, err)
	_, err = e.fake.AddWorkflowRun(testRepo, githubfake.WorkflowRun{Workflow: "deploy.yml", Conclusion: "success"})
	must(t, err)
	hookID, err = e.fake.AddHook(testRepo)
	must(t, err)
	_, err = e.fake.AddHookDelivery(testRepo, hookID, githubfake.HookDelivery{GUID: "g1", Event: "pull_request", StatusCode: 200})
	must(t, err)
	return hookID
}

func TestPollWithNothingNewIsAll304(t *testing.T) {
	var hook int64
	e := newEnv(t, func(c *Config) { c.Repos[0].DeployWorkflow = "deploy.yml"; c.Repos[0].HookID = 1 })
	hook = seedActivity(t, e)
	e.cfg.Repos[0].HookID = hook
	e.poll()
	published := len(e.pub.all())
	calls := e.pub.calls
	e.fake.ResetStats()
	e.clk.add(time.Minute)
	e.poll()
	st := e.fake.Stats()
	if st.Total != 5 || st.NotModified != st.Total {
		t.Fatalf("nothing-new poll: %d requests, %d answered 304 (%v); want 5, all 304", st.Total, st.NotModified, st.Paths)
	}
	if len(e.pub.all()) != published || e.pub.calls != calls {
		t.Fatalf("nothing-new poll published (%d calls, was %d)", e.pub.calls, calls)
	}
	if cs := e.src.Client().Stats(); cs.NotModified != 5 {
		t.Fatalf("client counted %d 304s", cs.NotModified)
	}
}

func TestPublishFailureKeepsCursors(t *testing.T) {
	e := newEnv(t, nil)
	n, _ := e.merge("one", "alice")
	e.pub.setFail(errDown)
	if err := e.src.PollOnce(context.Background()); !errors.Is(err, errDown) {
		t.Fatalf("poll error %v, want the publish error", err)
	}
	if !errors.Is(e.src.LastError(), errDown) {
		t.Fatalf("LastError %v", e.src.LastError())
	}
	if v, _ := e.store.Cursor(context.Background(), "github", "pulls:"+testRepo); v != "" {
		t.Fatalf("cursor advanced to %s although nothing was stored", v)
	}
	e.pub.setFail(nil)
	e.poll()
	if e.src.LastError() != nil {
		t.Fatalf("LastError after a good poll: %v", e.src.LastError())
	}
	if _, ok := e.pub.get(fmt.Sprintf("github:pr:%s#%d:merged", testRepo, n)); !ok {
		t.Fatal("merged PR missing after the retry")
	}
}

func TestPollFollowsUpdatesAndPending(t *testing.T) {
	e := newEnv(t, nil)
	n, err := e.fake.AddPullRequest(testRepo, githubfake.PullRequest{Title: "wip", Author: "bob"})
	must(t, err)
	dep := e.deploy("production", e.head(), "in_progress")
	e.poll()
	if len(e.pub.kind(event.KindPullRequestOpened)) != 1 || len(e.pub.kind(event.KindPullRequestMerged)) != 0 {
		t.Fatalf("first poll: %v", e.pub.all())
	}
	e.clk.add(time.Hour)
	_, err = e.fake.MergePullRequest(testRepo, n, githubfake.MergeOptions{})
	must(t, err)
	_, err = e.fake.AddDeploymentStatus(testRepo, dep, githubfake.DeploymentStatus{State: "success"})
	must(t, err)
	e.poll()
	if _, ok := e.pub.get(fmt.Sprintf("github:pr:%s#%d:merged", testRepo, n)); !ok {
		t.Fatal("merge of an already seen PR not published")
	}
	if _, ok := e.pub.get(fmt.Sprintf("github:deploy:%s:%d:succeeded", testRepo, dep)); !ok {
		t.Fatal("pending deployment's success not published")
	}
}

func TestFirstPollReadsNewestPageOnly(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 150 {
		_, err := e.fake.AddPullRequest(testRepo, githubfake.PullRequest{Title: fmt.Sprint(i), Author: "bob"})
		must(t, err)
		e.clk.add(time.Second)
	}
	e.poll()
	if n, _ := e.requests("/repos/acme/api/pulls"); n != 1 || len(e.pub.kind(event.KindPullRequestOpened)) != 100 {
		t.Fatalf("%d requests, %d PRs; want 1 and the newest 100 (history is a backfill)", n, len(e.pub.kind(event.KindPullRequestOpened)))
	}
}

func TestOrganizationSelection(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Repos = nil
		c.Orgs = []OrgConfig{{Name: "acme", Exclude: []string{"legacy-*"}}}
	})
	for _, r := range []string{"acme/web", "acme/legacy-billing", "other/app"} {
		must(t, e.fake.AddRepo(r, "main"))
		_, err := e.fake.AddPullRequest(r, githubfake.PullRequest{Title: "x", Author: "bob"})
		must(t, err)
	}
	_, err := e.fake.AddPullRequest(testRepo, githubfake.PullRequest{Title: "x", Author: "bob"})
	must(t, err)
	e.poll()
	repos := map[string]bool{}
	for _, ev := range e.pub.all() {
		repos[ev.Repo] = true
	}
	if len(repos) != 2 || !repos["acme/api"] || !repos["acme/web"] {
		t.Fatalf("polled %v, want acme/api and acme/web", repos)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PollInterval.Duration = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.src.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for e.fake.Stats().Total == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestRateLimitsAreWaitedOut(t *testing.T) {
	cases := []struct {
		name string
		rl   githubfake.RateLimitResponse
		wait time.Duration
	}{
		{"secondary 403 with Retry-After", githubfake.RateLimitResponse{Kind: githubfake.Secondary, RetryAfter: 30 * time.Second}, 30 * time.Second},
		{"secondary 403 without Retry-After", githubfake.RateLimitResponse{Kind: githubfake.SecondaryNoRetryAfter}, time.Minute},
		{"429 with Retry-After", githubfake.RateLimitResponse{Kind: githubfake.TooManyRequests, RetryAfter: 5 * time.Second}, 5 * time.Second},
		{"primary 403 until reset", githubfake.RateLimitResponse{Kind: githubfake.Primary, ResetIn: 10 * time.Minute}, 10 * time.Minute},
		{"primary 429 until reset", githubfake.RateLimitResponse{Kind: githubfake.Primary429, ResetIn: 3 * time.Minute}, 3 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.merge("one", "alice")
			e.poll() // warm up (repository read)
			e.merge("two", "bob")
			tc.rl.PathPrefix = "/repos/acme/api/pulls"
			e.fake.InjectRateLimit(tc.rl)
			e.fake.ResetStats()
			e.poll()
			if n, _ := e.requests("/repos/acme/api/pulls"); n != 2 {
				t.Fatalf("%d pulls requests, want 2 (the limited one and one retry)", n)
			}
			var slept time.Duration
			for _, d := range e.clk.sleeps() {
				slept += d
			}
			if slept < tc.wait || slept > tc.wait+2*time.Second {
				t.Fatalf("waited %v, want %v", e.clk.sleeps(), tc.wait)
			}
			if len(e.pub.kind(event.KindPullRequestMerged)) != 2 {
				t.Fatal("poll did not resume after the wait")
			}
		})
	}
}

func TestQuotaRunsOutMidPoll(t *testing.T) {
	e := newEnv(t, nil, githubfake.WithRateLimit(2))
	seedActivity(t, e)
	e.poll()
	st := e.fake.Stats()
	if st.RateLimited != 0 {
		t.Fatalf("%d requests were refused: the client must wait for the reset once Remaining hits 0", st.RateLimited)
	}
	if len(e.clk.sleeps()) == 0 {
		t.Fatal("no wait for the reset")
	}
}

func TestWaitLongerThanMaxWaitFailsThePoll(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxWait.Duration = 10 * time.Minute })
	e.poll()
	e.fake.InjectRateLimit(githubfake.RateLimitResponse{Kind: githubfake.Primary, ResetIn: 2 * time.Hour, PathPrefix: "/repos/acme/api/pulls"})
	e.fake.ResetStats()
	if err := e.src.PollOnce(context.Background()); err == nil {
		t.Fatal("poll succeeded although GitHub asked for a 2h wait")
	}
	before := e.fake.Stats().Total
	if err := e.src.PollOnce(context.Background()); err == nil {
		t.Fatal("second poll succeeded")
	}
	if after := e.fake.Stats().Total; after != before {
		t.Fatalf("the second poll sent %d requests while GitHub said to wait", after-before)
	}
	e.clk.add(2 * time.Hour)
	e.poll()
}

func TestRedeliversFailedDeliveries(t *testing.T) {
	outcome := 200
	e := newEnv(t, nil, githubfake.WithRedeliver(func(string, int64, githubfake.HookDelivery) int { return outcome }))
	hook, err := e.fake.AddHook(testRepo)
	must(t, err)
	e.cfg.Repos[0].HookID = hook
	add := func(guid, ev string, code int) {
		e.clk.add(time.Second)
		_, err := e.fake.AddHookDelivery(testRepo, hook, githubfake.HookDelivery{GUID: guid, Event: ev, StatusCode: code})
		must(t, err)
	}
	add("ok", "pull_request", 200)
	add("bad-gateway", "pull_request", 502)
	add("timeout", "release", 0)
	add("bad-signature", "pull_request", 401)
	add("recovered", "deployment_status", 503)
	add("recovered", "deployment_status", 200)
	add("uninteresting", "issues", 500)
	e.poll()
	var got []string
	for _, r := range e.fake.Redeliveries() {
		got = append(got, r.GUID)
	}
	if fmt.Sprint(got) != "[timeout bad-gateway]" {
		t.Fatalf("redelivered %v, want [timeout bad-gateway]", got)
	}
	e.poll()
	if n := len(e.fake.Redeliveries()); n != 2 {
		t.Fatalf("%d redeliveries after a second poll, want still 2", n)
	}
	outcome = 502
	add("flaky", "pull_request", 500)
	for range 5 {
		e.poll()
	}
	if n := len(e.fake.Redeliveries()); n != 2+redeliverAttempts {
		t.Fatalf("%d redeliveries, want %d (bounded attempts)", n, 2+redeliverAttempts)
	}
}

func TestOrgHookRedelivery(t *testing.T) {
	e := newEnv(t, nil)
	hook := e.fake.AddOrgHook("acme")
	e.cfg.Orgs = []OrgConfig{{Name: "acme", Include: []string{"nothing-*"}, HookID: hook}}
	_, err := e.fake.AddHookDelivery("org:acme", hook, githubfake.HookDelivery{GUID: "o1", Event: "pull_request", StatusCode: 504})
	must(t, err)
	e.poll()
	if r := e.fake.Redeliveries(); len(r) != 1 || r[0].Scope != "org:acme" {
		t.Fatalf("redeliveries %v", r)
	}
}

// tokenCheckingStore is an ETagStore that fails the test when a key or a
// saved header holds the token.
type tokenCheckingStore struct {
	ETagStore
	t *testing.T
}

func (s tokenCheckingStore) CacheResponse(ctx context.Context, source, key, etag string, header http.Header, body []byte) error {
	if strings.Contains(key, testToken) || strings.Contains(fmt.Sprint(header), testToken) {
		s.t.Errorf("ETag store asked to save the token: key %q, header %v", key, header)
	}
	return s.ETagStore.CacheResponse(ctx, source, key, etag, header, body)
}

// TestETagStoreAcrossProcesses polls with one source, then with a new one on
// the same SQLite store, as `goalpost sync --once` from cron does: with the
// ETag store the new process polls what did not change with 304s only, and
// still reads and publishes what changed.
func TestETagStoreAcrossProcesses(t *testing.T) {
	cases := []struct {
		name      string
		store     bool
		want304   int // of the unchanged poll's 6 requests (the repository, then 5 listings)
		wantPulls int // requests to the pulls listing once a PR merged
		pulls304  int // of them answered 304
	}{
		{name: "memory only", store: false, want304: 0, wantPulls: 1, pulls304: 0},
		{name: "sqlite store", store: true, want304: 6, wantPulls: 1, pulls304: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Repos[0].DeployWorkflow = "deploy.yml"; c.Repos[0].HookID = 1 })
			e.cfg.Repos[0].HookID = seedActivity(t, e)
			process := func() *Source {
				opts := []SourceOption{WithSourceClock(e.clk.now)}
				if tc.store {
					opts = append(opts, WithETagStore(tokenCheckingStore{e.store, t}))
				}
				src, err := NewSource(e.cfg, e.pub, e.store, testLog(t), opts...)
				must(t, err)
				must(t, src.PollOnce(context.Background()))
				return src
			}
			process()
			published, calls := len(e.pub.all()), e.pub.calls

			e.fake.ResetStats()
			e.clk.add(time.Minute)
			src := process()
			st := e.fake.Stats()
			t.Logf("unchanged poll by a new process: %d requests, %d 304s", st.Total, st.NotModified)
			if st.Total != 6 || st.NotModified != tc.want304 {
				t.Errorf("unchanged poll: %d requests, %d answered 304 (%v); want 6, %d 304", st.Total, st.NotModified, st.Paths, tc.want304)
			}
			if cs := src.Client().Stats(); cs.NotModified != int64(tc.want304) || cs.StoreErrors != 0 {
				t.Errorf("client counted %d 304s and %d store errors", cs.NotModified, cs.StoreErrors)
			}
			if len(e.pub.all()) != published || e.pub.calls != calls {
				t.Errorf("unchanged poll published (%d calls, was %d)", e.pub.calls, calls)
			}

			n, _ := e.merge("after the restart", "bob")
			e.fake.ResetStats()
			process()
			if total, nm := e.requests("/repos/acme/api/pulls"); total != tc.wantPulls || nm != tc.pulls304 {
				t.Errorf("changed pulls listing: %d requests, %d 304; want %d, %d", total, nm, tc.wantPulls, tc.pulls304)
			}
			if _, ok := e.pub.get(fmt.Sprintf("github:pr:%s#%d:merged", testRepo, n)); !ok {
				t.Errorf("PR #%d merged after the restart was not published", n)
			}
		})
	}
}
