package gitlab

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

// TestBackfillReadsPastTheDefaultWindow: a merge request merged and
// deployed 100 days ago, untouched since, is outside a first poll's 14-day
// window; a backfill from 120 days ago (updated_after) publishes the merge
// and the deploy that shipped it, counts what it read in the progress log,
// and leaves the cursors where the poll put them.
func TestBackfillReadsPastTheDefaultWindow(t *testing.T) {
	e := newEnv(t, nil)
	today := e.now
	e.now = today.Add(-100 * 24 * time.Hour)
	old := e.merge("old", false)
	e.deploy(1, e.head, "success")
	e.now = today
	e.merge("new", true)
	e.poll()
	if got := len(e.pub.kind(event.KindPullRequestMerged)); got != 1 {
		t.Fatalf("a first poll published %d merges, want only the new one", got)
	}
	mrs, _ := e.store.Cursor(context.Background(), event.SourceGitLab, "mrs:"+testProject)
	var logs bytes.Buffer
	progress := connector.NewProgress("gitlab", nil, slog.New(slog.NewTextHandler(&logs, nil)), e.clock)
	must(t, e.src.Backfill(context.Background(), today.Add(-120*24*time.Hour), progress))
	if got := len(e.pub.kind(event.KindPullRequestMerged)); got != 2 {
		t.Errorf("after the backfill %d merges, want 2", got)
	}
	if got := e.shippedBy(1); len(got) != 1 || int64(got[0]) != old {
		t.Errorf("the old deploy shipped %v, want [%d]", got, old)
	}
	if again, _ := e.store.Cursor(context.Background(), event.SourceGitLab, "mrs:"+testProject); again != mrs {
		t.Errorf("backfill moved the merge request cursor back: %s → %s", mrs, again)
	}
	if !strings.Contains(logs.String(), "backfill done") || !strings.Contains(logs.String(), "items=3") {
		t.Errorf("progress log %q, want backfill done with 3 items (2 merge requests, 1 deployment)", logs.String())
	}
}

// seedHistory merges mrs merge requests (merge commits) and deploys them
// in deploys successful production deployments, a day after t0.
func seedHistory(e *env, mrs, deploys int) {
	e.now = e.now.Add(24 * time.Hour)
	for d := range deploys {
		for i := d * mrs / deploys; i < (d+1)*mrs/deploys; i++ {
			e.merge(fmt.Sprint("change ", i), false)
		}
		e.deploy(int64(d+1), e.head, "success")
	}
}

// minimumBackfillRequests is the fewest requests GitLab's REST API allows
// for a backfill of one project: the merge request listing and the
// deployment listing (100 per page), the look-up of the last deploy before
// the start, the commits since the start for the first deploy (100 per
// page; each merge request is two commits, its branch's and the merge),
// and one compare for each later deploy (merge requests of a commit are
// not asked: the listing already told which merge commit is whose).
func minimumBackfillRequests(mrs, deploys int) int {
	pages := func(n int) int { return max((n+99)/100, 1) }
	return pages(mrs) + pages(deploys) + 1 + pages(2*mrs/deploys) + deploys - 1
}

// TestBackfillRequestCounts: a backfill costs the API minimum plus the
// project read, and then a poll with nothing new costs two requests whose
// pages are empty (see docs/BENCHMARKS.md).
func TestBackfillRequestCounts(t *testing.T) {
	cases := []struct{ mrs, deploys int }{{10, 2}, {250, 10}, {400, 20}}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d MRs %d deploys", tc.mrs, tc.deploys), func(t *testing.T) {
			e := newEnv(t, nil)
			seedHistory(e, tc.mrs, tc.deploys)
			e.fake.Log()
			must(t, e.src.Backfill(context.Background(), t0.Add(time.Hour), nil)) // after the initial commit
			got, minimum := len(e.fake.Log()), minimumBackfillRequests(tc.mrs, tc.deploys)
			t.Logf("backfill of %d merge requests and %d deploys: %d requests (minimum %d, +1 project read; %.2f×)",
				tc.mrs, tc.deploys, got, minimum, float64(got)/float64(minimum))
			if got != minimum+1 {
				t.Errorf("%d requests, want %d (minimum %d + the project read)", got, minimum+1, minimum)
			}
			if n := len(e.pub.kind(event.KindChangeShipped)); n != tc.mrs {
				t.Errorf("%d changes shipped, want %d", n, tc.mrs)
			}
			e.src = e.newSource() // a new process: the project is read again
			e.poll()
			log := e.fake.Log()
			t.Logf("poll with nothing new: %v", log)
			for _, r := range log[1:] {
				if r.Items != 0 {
					t.Errorf("a poll with nothing new read %d items from %s", r.Items, r.Path)
				}
			}
			if len(log) != 3 {
				t.Errorf("a poll with nothing new cost %d requests, want 3 (project, merge requests, deployments)", len(log))
			}
		})
	}
}
