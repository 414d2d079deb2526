package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/goalpost/goalpost/connectors/attribution"
)

const (
	// maxRangePages bounds one attribution's commit listing (100 per page).
	maxRangePages = 100
	// lastDeployPages and lastDeployChecks bound the look-up of the last
	// deploy before the history start: pages of deployments or runs read,
	// deployments whose statuses are read.
	lastDeployPages  = 10
	lastDeployChecks = 20
)

// host is GitHub's side of attribution (attribution.Host): the compare
// API, paginated past its 250-commit cap, "pull requests of a commit", and
// the deployments (or deploy-workflow runs) before the history start.
type host struct {
	api *gh.Client
	log *slog.Logger
	// workflow returns a repository's deploy workflow file and default
	// branch, for a first deploy that is a workflow run.
	workflow func(ctx context.Context, repo string) (file, branch string)
}

var _ attribution.Host = host{}

// Compare lists the commits reachable from head and not from base, oldest
// first, across every page.
func (h host) Compare(ctx context.Context, repo, base, head string) ([]attribution.Commit, error) {
	owner, name, _ := strings.Cut(repo, "/")
	var out []attribution.Commit
	opt := &gh.ListOptions{PerPage: 100}
	for range maxRangePages {
		cmp, resp, err := h.api.Repositories.CompareCommits(ctx, owner, name, base, head, opt)
		if err != nil {
			return nil, notFound(fmt.Errorf("compare %s %.12s...%.12s: %w", repo, base, head, err))
		}
		out = append(out, commits(cmp.Commits)...)
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
	h.log.Warn("deploy range truncated", "repo", repo, "commits", len(out))
	return out, nil
}

// CommitsSince lists the commits reachable from head dated since or later,
// oldest first.
func (h host) CommitsSince(ctx context.Context, repo, head string, since time.Time) ([]attribution.Commit, error) {
	owner, name, _ := strings.Cut(repo, "/")
	var out []attribution.Commit
	opt := &gh.CommitsListOptions{SHA: head, Since: since, ListOptions: gh.ListOptions{PerPage: 100}}
	for range maxRangePages {
		page, resp, err := h.api.Repositories.ListCommits(ctx, owner, name, opt)
		if err != nil {
			return nil, notFound(fmt.Errorf("list commits %s since %s: %w", repo, since.Format(time.DateOnly), err))
		}
		out = append(out, commits(page)...)
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	slices.Reverse(out) // oldest first, like compare
	return out, nil
}

// LastDeploy returns the sha of the last successful production deploy
// before t of the kind d is: for a deploy-workflow run, the newest
// successful run of that workflow on the default branch created before t;
// otherwise the newest deployment to d's environment whose first success
// status is dated before t.
func (h host) LastDeploy(ctx context.Context, d attribution.Deploy, before time.Time) (string, error) {
	if strings.HasPrefix(d.Key, "run-") && h.workflow != nil {
		if file, branch := h.workflow(ctx, d.Repo); file != "" {
			return h.lastRun(ctx, d.Repo, file, branch, before)
		}
	}
	owner, name, _ := strings.Cut(d.Repo, "/")
	opt := &gh.DeploymentsListOptions{Environment: d.Environment, ListOptions: gh.ListOptions{PerPage: 100}}
	checks := 0
	for range lastDeployPages {
		deps, resp, err := h.api.Repositories.ListDeployments(ctx, owner, name, opt)
		if err != nil {
			return "", fmt.Errorf("list deployments of %s: %w", d.Repo, err)
		}
		for _, dep := range deps { // newest first
			if !dep.GetCreatedAt().Before(before) {
				continue
			}
			if checks++; checks > lastDeployChecks {
				return "", nil
			}
			ok, err := h.succeededBefore(ctx, owner, name, dep.GetID(), before)
			if ok || err != nil {
				return dep.GetSHA(), err
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	return "", nil
}

// succeededBefore reports whether deployment id's first success status is
// dated before t (its newest 100 statuses are read).
func (h host) succeededBefore(ctx context.Context, owner, name string, id int64, before time.Time) (bool, error) {
	statuses, _, err := h.api.Repositories.ListDeploymentStatuses(ctx, owner, name, id, &gh.ListOptions{PerPage: 100})
	if isGone(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("deployment %d statuses: %w", id, err)
	}
	outs, _ := deployOutcomes(attribution.Deploy{}, statuses)
	for _, o := range outs {
		if o.Succeeded {
			return o.At.Before(before), nil
		}
	}
	return false, nil
}

// lastRun returns the head sha of the newest successful run of the deploy
// workflow file on branch created before t.
func (h host) lastRun(ctx context.Context, repo, file, branch string, before time.Time) (string, error) {
	owner, name, _ := strings.Cut(repo, "/")
	opt := &gh.ListWorkflowRunsOptions{Branch: branch, Status: "success", Created: "<" + before.UTC().Format(time.RFC3339),
		ListOptions: gh.ListOptions{PerPage: 1}}
	runs, _, err := h.api.Actions.ListWorkflowRunsByFileName(ctx, owner, name, file, opt)
	if err != nil {
		return "", fmt.Errorf("list runs of %s: %w", file, err)
	}
	for _, r := range runs.WorkflowRuns {
		return r.GetHeadSHA(), nil
	}
	return "", nil
}

// HasCommit reports whether the commit sha exists in repo.
func (h host) HasCommit(ctx context.Context, repo, sha string) (bool, error) {
	owner, name, _ := strings.Cut(repo, "/")
	_, _, err := h.api.Repositories.GetCommitSHA1(ctx, owner, name, sha, "")
	if isGone(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("commit %s %.12s: %w", repo, sha, err)
	}
	return true, nil
}

// Changes returns the pull requests that contain the commit sha.
func (h host) Changes(ctx context.Context, repo, sha string) ([]attribution.Change, error) {
	owner, name, _ := strings.Cut(repo, "/")
	prs, _, err := h.api.PullRequests.ListPullRequestsWithCommit(ctx, owner, name, sha, &gh.ListOptions{PerPage: 100})
	if err != nil && !isGone(err) {
		return nil, fmt.Errorf("pull requests of commit %s %.12s: %w", repo, sha, err)
	}
	out := make([]attribution.Change, 0, len(prs))
	for _, pr := range prs {
		out = append(out, newPRInfo(repo, pr).change())
	}
	return out, nil
}

// Merged lists the repository's closed pull requests, most recently
// updated first, back to since (one request per 100 pull requests); the
// merged ones are returned.
func (h host) Merged(ctx context.Context, repo string, since time.Time) ([]attribution.Change, error) {
	owner, name, _ := strings.Cut(repo, "/")
	opt := &gh.PullRequestListOptions{State: "closed", Sort: "updated", Direction: "desc", ListOptions: gh.ListOptions{PerPage: 100}}
	var out []attribution.Change
	for range maxRangePages {
		prs, resp, err := h.api.PullRequests.List(ctx, owner, name, opt)
		if err != nil {
			return out, fmt.Errorf("list pull requests of %s: %w", repo, err)
		}
		for _, pr := range prs {
			if p := newPRInfo(repo, pr); p.merged() {
				out = append(out, p.change())
			}
		}
		if resp.NextPage == 0 || len(prs) == 0 || prs[len(prs)-1].GetUpdatedAt().Before(since) {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
	return out, nil
}

func commits(cs []*gh.RepositoryCommit) []attribution.Commit {
	out := make([]attribution.Commit, 0, len(cs))
	for _, c := range cs {
		ac := attribution.Commit{SHA: c.GetSHA(), At: c.GetCommit().GetCommitter().GetDate().Time}
		for _, p := range c.Parents {
			ac.Parents = append(ac.Parents, p.GetSHA())
		}
		out = append(out, ac)
	}
	return out
}

// notFound marks GitHub's "no such commits" answers as attribution.ErrNotFound.
func notFound(err error) error {
	if isGone(err) {
		return fmt.Errorf("%w: %w", attribution.ErrNotFound, err)
	}
	return err
}

// isGone reports whether err says the thing does not exist (a force-pushed
// sha, a deleted deployment, a repository goalpost cannot read).
func isGone(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return false
	}
	return er.Response.StatusCode == http.StatusNotFound || er.Response.StatusCode == http.StatusUnprocessableEntity
}
