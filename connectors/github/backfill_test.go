package github

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/pipeline/event"
)

// seedHistory merges prs pull requests spread over deploys production
// deploys (each PR merged before one of them) after t0, and one release.
func seedHistory(t testing.TB, e *env, prs, deploys int) {
	t.Helper()
	e.clk.add(24 * time.Hour)
	for d := range deploys {
		for i := d * prs / deploys; i < (d+1)*prs/deploys; i++ {
			e.merge(fmt.Sprint("change ", i), fmt.Sprint("dev", i%7))
		}
		e.deploy("production", e.head(), "in_progress", "success")
		e.clk.add(time.Hour)
	}
}

// minimumBackfillRequests is the fewest requests GitHub's REST API allows
// for a backfill of one repository: the PR listing (100 per page), the
// deployment listing, one status listing per deployment (statuses are not
// listed with deployments), one commit-range listing per deploy (compare or,
// for the first, the commits since the start), the release listing, and
// the look-up of the last deploy before the start (one deployment listing
// when there is none, as here).
func minimumBackfillRequests(prs, deploys, commitsPerDeploy int) int {
	pages := func(n int) int { return max((n+99)/100, 1) }
	return pages(prs) + pages(deploys) + deploys + deploys*pages(commitsPerDeploy) + 1 + 1
}

func TestBackfillRequestCounts(t *testing.T) {
	cases := []struct{ prs, deploys int }{
		{10, 2},
		{250, 10},
		{1000, 25},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d PRs %d deploys", tc.prs, tc.deploys), func(t *testing.T) {
			e := newEnv(t, nil)
			seedHistory(t, e, tc.prs, tc.deploys)
			e.fake.ResetStats()
			var progress bytes.Buffer
			must(t, e.src.Backfill(context.Background(), t0.Add(time.Hour), &progress)) // after the initial commit
			st := e.fake.Stats()
			minimum := minimumBackfillRequests(tc.prs, tc.deploys, tc.prs/tc.deploys)
			t.Logf("backfill of %d PRs and %d deploys: %d requests (minimum %d, +1 repository read)", tc.prs, tc.deploys, st.Total, minimum)
			if st.Total != minimum+1 {
				t.Errorf("%d requests, want %d (minimum %d + the repository read): %v", st.Total, minimum+1, minimum, st.Paths)
			}
			if n := len(e.pub.kind(event.KindChangeShipped)); n != tc.prs {
				t.Errorf("%d changes shipped, want %d", n, tc.prs)
			}
			if progress.Len() != 0 {
				t.Errorf("progress written to a non-terminal: %q", progress.String())
			}
			e.fake.ResetStats()
			e.poll()
			if st := e.fake.Stats(); st.Total != 3 || st.NotModified != st.Total {
				t.Errorf("poll after backfill: %d requests, %d of them 304", st.Total, st.NotModified)
			}
		})
	}
}

func TestBackfillSkipsHistoryBeforeStart(t *testing.T) {
	e := newEnv(t, nil)
	old, _ := e.merge("before", "alice")
	e.deploy("production", e.head(), "success")
	e.clk.add(72 * time.Hour)
	start := e.clk.now()
	recent, _ := e.merge("after", "bob")
	id := e.deploy("production", e.head(), "success")
	must(t, e.src.Backfill(context.Background(), start, nil))
	if _, ok := e.pub.get(fmt.Sprintf("github:pr:%s#%d:merged", testRepo, old)); ok {
		t.Fatal("a merge before the start was published")
	}
	if got := e.shippedBy(id); len(got) != 1 || got[0] != recent {
		t.Fatalf("first deploy since the start shipped %v, want [%d]", got, recent)
	}
	if err := e.src.Backfill(context.Background(), time.Time{}, nil); err == nil {
		t.Fatal("backfill without a start date")
	}
}

func BenchmarkBackfill(b *testing.B) {
	const prs, deploys = 300, 20
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, nil)
		seedHistory(b, e, prs, deploys)
		e.fake.ResetStats()
		b.StartTimer()
		must(b, e.src.Backfill(context.Background(), t0.Add(time.Hour), nil))
		b.StopTimer()
		b.ReportMetric(float64(e.fake.Stats().Total), "requests/op")
		b.ReportMetric(float64(minimumBackfillRequests(prs, deploys, prs/deploys)), "minimum/op")
		b.StartTimer()
	}
}

func BenchmarkPollNothingNew(b *testing.B) {
	e := newEnv(b, func(c *Config) { c.Repos[0].DeployWorkflow = "deploy.yml" })
	seedActivity(b, e)
	e.poll()
	e.fake.ResetStats()
	for b.Loop() {
		if err := e.src.PollOnce(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	st := e.fake.Stats()
	b.ReportMetric(float64(st.Total)/float64(b.N), "requests/op")
	b.ReportMetric(float64(st.NotModified)/float64(b.N), "304s/op")
}

// TestBackfillFirstDeployAfterSince: PRs merged on the Friday before the
// start and deployed on the Monday of it are shipped by that Monday deploy
// (compared with Thursday's deploy, the last one before the start), with
// their lead time from Friday's merge; a PR Thursday's deploy shipped is
// not shipped again, and a failed deploy before the start is no base.
func TestBackfillFirstDeployAfterSince(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode func(c *Config)
	}{
		{"deployments", nil},
		{"deploy workflow", func(c *Config) { c.Repos[0].DeployWorkflow = "deploy.yml" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.mode)
			deploy := e.deploy
			if tc.mode != nil {
				deploy = func(_, sha string, states ...string) int64 { return e.run(sha, states[len(states)-1]) }
			}
			thursday := time.Date(2026, 7, 2, 15, 0, 0, 0, time.UTC)
			e.clk.t = thursday
			shippedThursday, _ := e.merge("thursday fix", "alice")
			deploy("production", e.head(), "success")
			e.clk.t = thursday.Add(24 * time.Hour) // Friday 15:00
			friday1, _ := e.merge("friday feature", "bob")
			friday2, _ := e.merge("friday docs", "carol")
			deploy("production", e.head(), "failure") // Friday's failed deploy is no base
			monday := time.Date(2026, 7, 6, 0, 0, 0, 0, time.UTC)
			e.clk.t = monday.Add(9 * time.Hour)
			mondayPR, _ := e.merge("monday fix", "alice")
			shipped := deploy("production", e.head(), "success")
			e.clk.add(time.Hour)

			must(t, e.src.Backfill(context.Background(), monday, nil))
			evs := e.pub.kind(event.KindChangeShipped)
			got := map[int]float64{}
			for _, ev := range evs {
				n, _ := strconv.Atoi(ev.Attrs["number"])
				got[n] = ev.Numbers["lead_time_seconds"]
				if ev.OccurredAt.Before(monday) {
					t.Errorf("%s shipped at %s, before the start", ev.Unit, ev.OccurredAt)
				}
			}
			if _, again := got[shippedThursday]; again || len(got) != 3 {
				t.Fatalf("shipped %v, want #%d #%d #%d (not #%d, shipped on Thursday)", got, friday1, friday2, mondayPR, shippedThursday)
			}
			for _, n := range []int{friday1, friday2} {
				if got[n] < 2.5*24*3600 {
					t.Errorf("#%d lead time %.0fs, want from Friday's merge (over 2.5 days)", n, got[n])
				}
			}
			if tc.mode == nil {
				if ev, _ := e.pub.get(fmt.Sprintf("github:deploy:%s:%d:succeeded", testRepo, shipped)); ev.Attrs["attribution"] != "since_deploy" {
					t.Errorf("attribution %q, want since_deploy", ev.Attrs["attribution"])
				}
			}
		})
	}
}

// run adds a completed run of deploy.yml of sha with conclusion; it returns
// the run id.
func (e *env) run(sha, conclusion string) int64 {
	e.t.Helper()
	id, err := e.fake.AddWorkflowRun(testRepo, githubfake.WorkflowRun{Workflow: "deploy.yml", HeadSHA: sha, Conclusion: conclusion, Actor: "ci-bot"})
	must(e.t, err)
	e.clk.add(time.Minute)
	return id
}
