package github

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/pipeline/event"
)

// runCursor is the newest deploy-workflow run read and the runs not yet
// completed.
type runCursor struct {
	LastID  int64   `json:"last_id"`
	Pending []int64 `json:"pending,omitempty"`
	Init    bool    `json:"init"` // a poll has read the listing
	// Rerun is the newest updated_at of a re-run (run_attempt > 1) read: a
	// re-run keeps its id, so only its update time tells it is new.
	Rerun time.Time `json:"rerun,omitzero"`
}

// pollRuns reads the deploy workflow's runs on the default branch, newest
// first, down to the oldest run still pending or the cursor, and publishes
// each completed run as a production deploy (success) or a failed one
// (failure, timed out, startup failure); cancelled and skipped runs are no
// deploys.
func (s *Source) pollRuns(ctx context.Context, t target, m pollMode) error {
	key := "runs:" + t.FullName
	var cur runCursor
	if err := s.loadJSON(ctx, key, &cur); err != nil {
		return err
	}
	ready, next, err := s.readRuns(ctx, t, m, cur)
	if err != nil {
		return err
	}
	if err := s.publishDeploys(ctx, ready, m); err != nil {
		return err
	}
	if cur.Init && next.LastID == cur.LastID && slices.Equal(next.Pending, cur.Pending) && next.Rerun.Equal(cur.Rerun) {
		return nil
	}
	return s.saveJSON(ctx, key, next)
}

// readRuns lists the runs newer than the cursor or still pending; it returns
// the finished deploys and the next cursor. Re-runs of older runs are found
// on the pages read (the newest one at least).
func (s *Source) readRuns(ctx context.Context, t target, m pollMode, cur runCursor) ([]attribution.Deploy, runCursor, error) {
	floor := cur.LastID
	for _, id := range cur.Pending {
		floor = min(floor, id-1)
	}
	owner, name, _ := strings.Cut(t.FullName, "/")
	opt := &gh.ListWorkflowRunsOptions{Branch: t.DefaultBranch, ListOptions: gh.ListOptions{PerPage: 100}}
	if !m.since.IsZero() && (m.backfill || !cur.Init) {
		opt.Created = ">=" + m.since.Format(time.DateOnly)
	}
	var ready []attribution.Deploy
	next := runCursor{LastID: cur.LastID, Init: true, Rerun: cur.Rerun}
	for {
		runs, resp, err := s.api.Actions.ListWorkflowRunsByFileName(ctx, owner, name, t.settings.DeployWorkflow, opt)
		if err != nil {
			return nil, cur, fmt.Errorf("list runs of %s: %w", t.settings.DeployWorkflow, err)
		}
		done := !cur.Init && m.since.IsZero() // first poll: the newest page only
		for _, r := range runs.WorkflowRuns {
			id := r.GetID()
			rerun := r.GetRunAttempt() > 1 && r.GetUpdatedAt().After(cur.Rerun)
			if !m.backfill && id <= floor {
				done = true
				if !rerun {
					continue
				}
			}
			next.LastID = max(next.LastID, id)
			if rerun {
				next.Rerun = maxTime(next.Rerun, r.GetUpdatedAt().Time)
			}
			switch {
			case !m.backfill && id <= cur.LastID && !slices.Contains(cur.Pending, id) && !rerun, r.GetHeadBranch() != t.DefaultBranch:
			case r.GetStatus() != "completed":
				if s.now().Sub(r.GetCreatedAt().Time) < pendingMaxAge {
					next.Pending = append(next.Pending, id)
				}
			default:
				if d, ok := runDeploy(t, r); ok {
					ready = append(ready, d)
				}
			}
		}
		if done || resp.NextPage == 0 {
			return ready, next, nil
		}
		opt.Page = resp.NextPage
	}
}

// runDeploy is the deploy a completed deploy-workflow run stands for.
// Reruns are separate deploys (the key carries the attempt).
func runDeploy(t target, r *gh.WorkflowRun) (attribution.Deploy, bool) {
	d := attribution.Deploy{
		Source: event.SourceGitHub, Repo: t.FullName, Environment: t.settings.primaryEnvironment(),
		Key: fmt.Sprintf("run-%d.%d", r.GetID(), max(r.GetRunAttempt(), 1)),
		SHA: r.GetHeadSHA(), At: r.GetUpdatedAt().Time, URL: r.GetHTMLURL(),
		Actor: r.GetTriggeringActor().GetLogin(),
		Attrs: map[string]string{"workflow": r.GetName(), "run_id": strconv.FormatInt(r.GetID(), 10)},
	}
	if d.Actor == "" {
		d.Actor = r.GetActor().GetLogin()
	}
	switch r.GetConclusion() {
	case "success":
		d.Succeeded = true
	case "failure", "timed_out", "startup_failure":
	default:
		return attribution.Deploy{}, false
	}
	return d, true
}
