package github

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/pipeline/event"
)

// pendingMaxAge is how long a deployment or run without a final state is
// re-checked before goalpost gives up on it.
const pendingMaxAge = 48 * time.Hour

// deployCursor is the newest deployment id read and the production
// deployments still waiting for a final status.
type deployCursor struct {
	LastID  int64           `json:"last_id"`
	Pending []pendingDeploy `json:"pending,omitempty"`
	Init    bool            `json:"init"` // a poll has read the listing
}

type pendingDeploy struct {
	ID      int64     `json:"id"`
	SHA     string    `json:"sha"`
	Env     string    `json:"env"`
	Ref     string    `json:"ref,omitempty"`
	Creator string    `json:"creator,omitempty"`
	Created time.Time `json:"created"`
}

// pollDeploys is one cursor-backed read of a repository's deploys: it
// loads the cursor under key, lets read return the finished deploys and the
// next cursor, publishes the deploys (attributing the successful ones,
// oldest first) and only then saves the cursor, unless it did not change.
func pollDeploys[C any](ctx context.Context, s *Source, key string, m pollMode, read func(cur C) ([]attribution.Deploy, C, error)) error {
	var cur C
	if err := s.loadJSON(ctx, key, &cur); err != nil {
		return err
	}
	ready, next, err := read(cur)
	if err != nil {
		return err
	}
	if err := s.publishDeploys(ctx, ready, m); err != nil {
		return err
	}
	was, _ := json.Marshal(cur)
	if now, err := json.Marshal(next); err == nil && bytes.Equal(was, now) {
		return nil
	}
	return s.saveJSON(ctx, key, next)
}

// pollDeployments reads the deployments created since the cursor, keeps the
// production ones, reads the statuses of those and of the ones still
// pending, and publishes every finished deploy in the order it finished
// (attributing the successful ones). The cursor advances after all of them.
func (s *Source) pollDeployments(ctx context.Context, t target, m pollMode) error {
	return pollDeploys(ctx, s, "deployments:"+t.FullName, m, func(cur deployCursor) ([]attribution.Deploy, deployCursor, error) {
		return s.readDeployments(ctx, t, m, cur)
	})
}

// readDeployments returns the finished deploys among the new and the
// pending deployments, and the next cursor.
func (s *Source) readDeployments(ctx context.Context, t target, m pollMode, cur deployCursor) ([]attribution.Deploy, deployCursor, error) {
	fresh, lastID, err := s.newDeployments(ctx, t, m, cur)
	if err != nil {
		return nil, cur, err
	}
	candidates := append(slices.Clone(cur.Pending), fresh...)
	slices.SortFunc(candidates, func(a, b pendingDeploy) int { return cmp.Compare(a.ID, b.ID) })
	candidates = slices.CompactFunc(candidates, func(a, b pendingDeploy) bool { return a.ID == b.ID })
	var ready []attribution.Deploy
	var pending []pendingDeploy
	for _, d := range candidates {
		outs, final, err := s.deploymentOutcome(ctx, t, d)
		if err != nil {
			return nil, cur, err
		}
		ready = append(ready, outs...)
		if !final && s.now().Sub(d.Created) < pendingMaxAge {
			pending = append(pending, d)
		}
	}
	return ready, deployCursor{LastID: max(lastID, cur.LastID), Pending: pending, Init: true}, nil
}

// publishDeploys attributes and publishes finished deploys, oldest first.
func (s *Source) publishDeploys(ctx context.Context, ready []attribution.Deploy, m pollMode) error {
	slices.SortStableFunc(ready, func(a, b attribution.Deploy) int { return a.At.Compare(b.At) })
	for _, d := range ready {
		if err := s.att.PublishSince(ctx, d, m.since); err != nil {
			return err
		}
	}
	return nil
}

// newDeployments lists production deployments newer than the cursor (in a
// backfill: created since the start). On a first poll without a start, only
// the newest page.
func (s *Source) newDeployments(ctx context.Context, t target, m pollMode, cur deployCursor) ([]pendingDeploy, int64, error) {
	owner, name, _ := strings.Cut(t.FullName, "/")
	opt := &gh.DeploymentsListOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	if envs := t.settings.ProductionEnvironments; len(envs) == 1 && !strings.ContainsAny(envs[0], `*?[\`) {
		opt.Environment = envs[0] // let GitHub filter
	}
	onePage, lastID := !cur.Init && m.since.IsZero(), cur.LastID
	var out []pendingDeploy
	maxID := lastID
	for {
		deps, resp, err := s.api.Repositories.ListDeployments(ctx, owner, name, opt)
		if err != nil {
			return nil, 0, fmt.Errorf("list deployments: %w", err)
		}
		done := onePage
		for _, d := range deps {
			if !m.backfill && d.GetID() <= lastID || d.GetCreatedAt().Before(m.since) {
				done = true
				continue
			}
			maxID = max(maxID, d.GetID())
			if t.settings.isProduction(d.GetEnvironment()) {
				out = append(out, pendingDeploy{
					ID: d.GetID(), SHA: d.GetSHA(), Env: d.GetEnvironment(), Ref: d.GetRef(),
					Creator: d.GetCreator().GetLogin(), Created: d.GetCreatedAt().Time,
				})
			}
		}
		if done || resp.NextPage == 0 {
			return out, maxID, nil
		}
		opt.Page = resp.NextPage
	}
}

// deploymentOutcome reads a deployment's statuses and returns its finished
// deploys and whether it is final.
func (s *Source) deploymentOutcome(ctx context.Context, t target, d pendingDeploy) ([]attribution.Deploy, bool, error) {
	owner, name, _ := strings.Cut(t.FullName, "/")
	var statuses []*gh.DeploymentStatus
	opt := &gh.ListOptions{PerPage: 100}
	for range 10 {
		page, resp, err := s.api.Repositories.ListDeploymentStatuses(ctx, owner, name, d.ID, opt)
		if isGone(err) { // deleted (with its environment, say): nothing more to wait for
			s.log.Warn("deployment gone before it finished", "repo", t.FullName, "deployment", d.ID)
			return nil, true, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("deployment %d statuses: %w", d.ID, err)
		}
		statuses = append(statuses, page...)
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	base := attribution.Deploy{
		Source: event.SourceGitHub, Key: strconv.FormatInt(d.ID, 10), Repo: t.FullName,
		Environment: d.Env, SHA: d.SHA, Actor: d.Creator, CreatedAt: d.Created,
		Attrs: map[string]string{"deployment_id": strconv.FormatInt(d.ID, 10), "ref": d.Ref},
	}
	outs, final := deployOutcomes(base, statuses)
	return outs, final, nil
}

// deployOutcomes turns a deployment's statuses into finished deploys: a
// failure or error before any success is a failed deploy, the first success
// a successful one. A deployment is final once it succeeded, failed or went
// inactive. The webhook's deployment_status events give the same results.
func deployOutcomes(base attribution.Deploy, statuses []*gh.DeploymentStatus) ([]attribution.Deploy, bool) {
	statuses = slices.Clone(statuses)
	slices.SortFunc(statuses, func(a, b *gh.DeploymentStatus) int {
		if c := a.GetCreatedAt().Compare(b.GetCreatedAt().Time); c != 0 {
			return c
		}
		return cmp.Compare(a.GetID(), b.GetID())
	})
	var out []attribution.Deploy
	final := false
	for _, st := range statuses {
		d, ok := statusDeploy(base, st)
		switch {
		case ok && d.Succeeded:
			return append(out, d), true
		case ok && len(out) == 0:
			out = append(out, d)
		}
		final = final || ok || st.GetState() == "inactive"
	}
	return out, final
}

// statusDeploy is the finished deploy one status reports, if any.
func statusDeploy(base attribution.Deploy, st *gh.DeploymentStatus) (attribution.Deploy, bool) {
	d := base
	switch st.GetState() {
	case "success":
		d.Succeeded = true
	case "failure", "error":
	default:
		return attribution.Deploy{}, false
	}
	d.At = st.GetCreatedAt().Time
	d.URL = cmp.Or(st.GetLogURL(), st.GetTargetURL(), st.GetEnvironmentURL())
	return d, true
}

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
	return pollDeploys(ctx, s, "runs:"+t.FullName, m, func(cur runCursor) ([]attribution.Deploy, runCursor, error) {
		return s.readRuns(ctx, t, m, cur)
	})
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
		SHA: r.GetHeadSHA(), At: r.GetUpdatedAt().Time, URL: r.GetHTMLURL(), CreatedAt: r.GetRunStartedAt().Time, // this attempt's start
		Actor: r.GetTriggeringActor().GetLogin(),
		Attrs: map[string]string{"workflow": r.GetName(), "run_id": strconv.FormatInt(r.GetID(), 10)},
	}
	if d.Actor == "" {
		d.Actor = r.GetActor().GetLogin()
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = r.GetCreatedAt().Time
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
