package gitlab

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/goalpost/goalpost/connectors/attribution"
)

const (
	// maxRangePages bounds one range listing (100 commits per page).
	maxRangePages = 100
	// defaultCompareLimit is the commit count at which a compare answer is
	// not trusted to be whole: the range is listed page by page instead.
	defaultCompareLimit = 1000
)

// host is GitLab's side of attribution (attribution.Host): the compare
// API, falling back to the "base..head" range listing when its answer may
// be cut, and "merge requests of a commit".
type host struct {
	api          *gl.Client
	log          *slog.Logger
	compareLimit int
}

var _ attribution.Host = host{}

// Compare lists the commits reachable from head and not from base, oldest
// first: one compare call, or, when that answer may be cut (it timed out or
// holds compareLimit commits or more), the "base..head" range page by page.
func (h host) Compare(ctx context.Context, project, base, head string) ([]attribution.Commit, error) {
	cmp, _, err := h.api.Repositories.Compare(project, &gl.CompareOptions{From: &base, To: &head}, gl.WithContext(ctx))
	if err != nil {
		return nil, notFound(apiErr(fmt.Sprintf("compare %s %.12s...%.12s", project, base, head), err))
	}
	if !cmp.CompareTimeout && len(cmp.Commits) < h.compareLimit {
		return commits(cmp.Commits), nil
	}
	out, err := h.listCommits(ctx, project, &gl.ListCommitsOptions{RefName: gl.Ptr(base + ".." + head)})
	slices.Reverse(out) // oldest first, like compare
	return out, err
}

// CommitsSince lists the commits reachable from head dated since or
// later, oldest first.
func (h host) CommitsSince(ctx context.Context, project, head string, since time.Time) ([]attribution.Commit, error) {
	out, err := h.listCommits(ctx, project, &gl.ListCommitsOptions{RefName: &head, Since: &since})
	slices.Reverse(out)
	return out, err
}

// listCommits lists commits newest first across pages.
func (h host) listCommits(ctx context.Context, project string, opt *gl.ListCommitsOptions) ([]attribution.Commit, error) {
	opt.PerPage = 100
	var out []attribution.Commit
	opts := []gl.RequestOptionFunc{gl.WithContext(ctx)}
	for range maxRangePages {
		page, resp, err := h.api.Commits.ListCommits(project, opt, opts...)
		if err != nil {
			return nil, notFound(apiErr("list commits "+project, err))
		}
		out = append(out, commits(page)...)
		next, ok := gl.WithNext(resp)
		if !ok {
			return out, nil
		}
		opts = []gl.RequestOptionFunc{gl.WithContext(ctx), next}
	}
	h.log.Warn("deploy range truncated", "project", project, "commits", len(out))
	return out, nil
}

// LastDeploy returns the sha of the newest successful deployment to d's
// environment last updated (finished) before t: one request, GitLab
// filtering and ordering (order_by=updated_at, sort=desc). A deploy job's
// runs are found the same way when the job declares its environment.
func (h host) LastDeploy(ctx context.Context, d attribution.Deploy, before time.Time) (string, error) {
	opt := &gl.ListProjectDeploymentsOptions{
		OrderBy: gl.Ptr("updated_at"), Sort: gl.Ptr("desc"), UpdatedBefore: &before,
		Environment: &d.Environment, Status: gl.Ptr("success"), ListOptions: gl.ListOptions{PerPage: 1},
	}
	deps, _, err := h.api.Deployments.ListProjectDeployments(d.Repo, opt, gl.WithContext(ctx))
	if isGone(err) {
		return "", nil
	}
	if err != nil {
		return "", apiErr("deployments of "+d.Repo, err)
	}
	for _, dep := range deps {
		return dep.SHA, nil
	}
	return "", nil
}

// HasCommit reports whether the commit sha exists in project.
func (h host) HasCommit(ctx context.Context, project, sha string) (bool, error) {
	_, _, err := h.api.Commits.GetCommit(project, sha, nil, gl.WithContext(ctx))
	if isGone(err) {
		return false, nil
	}
	if err != nil {
		return false, apiErr(fmt.Sprintf("commit %s %.12s", project, sha), err)
	}
	return true, nil
}

// Changes returns the merge requests that contain the commit sha.
func (h host) Changes(ctx context.Context, project, sha string) ([]attribution.Change, error) {
	mrs, _, err := h.api.Commits.ListMergeRequestsByCommit(project, sha, gl.WithContext(ctx))
	if err != nil && !isGone(err) {
		return nil, apiErr(fmt.Sprintf("merge requests of commit %s %.12s", project, sha), err)
	}
	out := make([]attribution.Change, 0, len(mrs))
	for _, mr := range mrs {
		out = append(out, newMRInfo(project, mr).change())
	}
	return out, nil
}

// Merged returns none: GitLab ranges are resolved commit by commit.
func (h host) Merged(context.Context, string, time.Time) ([]attribution.Change, error) {
	return nil, nil
}

func commits(cs []*gl.Commit) []attribution.Commit {
	out := make([]attribution.Commit, 0, len(cs))
	for _, c := range cs {
		out = append(out, attribution.Commit{SHA: c.ID, Parents: c.ParentIDs})
	}
	return out
}

// notFound marks GitLab's "no such commits" answers as
// attribution.ErrNotFound.
func notFound(err error) error {
	if isGone(err) {
		return fmt.Errorf("%w: %w", attribution.ErrNotFound, err)
	}
	return err
}
