package github

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// resolve finds the merged PRs whose merge commits are among commits (a
// deploy's range, oldest first). PRs the index knows cost nothing; the
// branch commits of a known merge commit are skipped; every other commit
// costs one "PRs for a commit" call (newest first), whose answers feed the
// index. A commit of no PR (a direct push) is remembered as such.
func (a *attributor) resolve(ctx context.Context, repo string, commits []*gh.RepositoryCommit) ([]prInfo, error) {
	if err := a.prefetchPulls(ctx, repo, commits); err != nil {
		return nil, err
	}
	r := newCommitRange(commits)
	found := map[int]prInfo{}
	claim := func(p prInfo) bool {
		if !p.merged() || r.byID[p.MergeSHA] == nil {
			return false
		}
		found[p.Number] = p
		r.cover(p.MergeSHA)
		return true
	}
	for _, c := range commits {
		if p, ok, _ := a.index.lookup(repo, c.GetSHA()); ok {
			claim(p)
		}
	}
	for _, c := range slices.Backward(commits) {
		sha := c.GetSHA()
		if _, _, none := a.index.lookup(repo, sha); r.covered[sha] || none {
			continue
		}
		prs, err := a.pullsForCommit(ctx, repo, sha)
		if err != nil {
			return nil, err
		}
		merged := false
		for _, pr := range prs {
			if p := newPRInfo(repo, pr); p.merged() {
				merged = true
				a.index.add(p)
				claim(p)
			}
		}
		if !merged {
			a.index.noPR(repo, sha)
		}
		r.covered[sha] = true
	}
	out := make([]prInfo, 0, len(found))
	for _, p := range found {
		out = append(out, p)
	}
	slices.SortFunc(out, func(x, y prInfo) int {
		if c := x.MergedAt.Compare(y.MergedAt); c != 0 {
			return c
		}
		return x.Number - y.Number
	})
	return out, nil
}

// prefetchThreshold is how many commits of a range may be unknown to the
// index before the repository's pull requests are listed instead of
// looked up one commit at a time.
const prefetchThreshold = 100

// prefetchPulls fills the index from the repository's pull requests, most
// recently updated first, back to the range's oldest commit, when more
// than prefetchThreshold commits of the range are unknown: one request per
// 100 pull requests instead of one per commit, so that a first deploy
// shipping thousands of PRs is attributed within a webhook's deadline.
// Commits it does not explain are looked up one by one as before.
func (a *attributor) prefetchPulls(ctx context.Context, repo string, commits []*gh.RepositoryCommit) error {
	var unknown int
	var oldest time.Time
	for _, c := range commits {
		if _, ok, none := a.index.lookup(repo, c.GetSHA()); !ok && !none {
			unknown++
		}
		if at := c.GetCommit().GetCommitter().GetDate().Time; !at.IsZero() && (oldest.IsZero() || at.Before(oldest)) {
			oldest = at
		}
	}
	if unknown <= prefetchThreshold {
		return nil
	}
	owner, name, _ := strings.Cut(repo, "/")
	opt := &gh.PullRequestListOptions{State: "closed", Sort: "updated", Direction: "desc", ListOptions: gh.ListOptions{PerPage: 100}}
	for range maxRangePages {
		prs, resp, err := a.api.PullRequests.List(ctx, owner, name, opt)
		if err != nil {
			return fmt.Errorf("list pull requests of %s: %w", repo, err)
		}
		for _, pr := range prs {
			if p := newPRInfo(repo, pr); p.merged() {
				a.index.add(p)
			}
		}
		if resp.NextPage == 0 || len(prs) == 0 || prs[len(prs)-1].GetUpdatedAt().Before(oldest) {
			return nil
		}
		opt.Page = resp.NextPage
	}
	return nil
}

func (a *attributor) pullsForCommit(ctx context.Context, repo, sha string) ([]*gh.PullRequest, error) {
	owner, name, _ := strings.Cut(repo, "/")
	prs, _, err := a.api.PullRequests.ListPullRequestsWithCommit(ctx, owner, name, sha, &gh.ListOptions{PerPage: 100})
	if err != nil && !isGone(err) {
		return nil, fmt.Errorf("pull requests of commit %s %.12s: %w", repo, sha, err)
	}
	return prs, nil
}

// commitRange is a deploy's commits as a graph.
type commitRange struct {
	byID    map[string]*gh.RepositoryCommit
	covered map[string]bool
}

func newCommitRange(commits []*gh.RepositoryCommit) *commitRange {
	r := &commitRange{byID: make(map[string]*gh.RepositoryCommit, len(commits)), covered: map[string]bool{}}
	for _, c := range commits {
		r.byID[c.GetSHA()] = c
	}
	return r
}

func (r *commitRange) parents(sha string) []string {
	var out []string
	if c := r.byID[sha]; c != nil {
		for _, p := range c.Parents {
			out = append(out, p.GetSHA())
		}
	}
	return out
}

// reach returns the commits of the range reachable from roots without
// passing through stop.
func (r *commitRange) reach(roots []string, stop map[string]bool) map[string]bool {
	seen := map[string]bool{}
	stack := slices.Clone(roots)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] || stop[s] || r.byID[s] == nil {
			continue
		}
		seen[s] = true
		stack = append(stack, r.parents(s)...)
	}
	return seen
}

// cover marks a merge commit and, when it has several parents, the commits
// it brought in (reachable from its other parents but not from its first).
func (r *commitRange) cover(sha string) {
	r.covered[sha] = true
	ps := r.parents(sha)
	if len(ps) < 2 {
		return
	}
	mainline := r.reach(ps[:1], nil)
	for s := range r.reach(ps[1:], mainline) {
		r.covered[s] = true
	}
}
