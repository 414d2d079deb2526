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

// maxRangePages bounds one attribution's commit listing (100 per page).
const maxRangePages = 100

// host is GitHub's side of attribution (attribution.Host): the compare
// API, paginated past its 250-commit cap, and "pull requests of a commit".
type host struct {
	api *gh.Client
	log *slog.Logger
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
