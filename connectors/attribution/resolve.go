package attribution

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// resolve finds the merged changes that landed among commits (a deploy's
// range, oldest first). Changes the index knows cost nothing; the branch
// commits of a known merge commit are skipped; every other commit costs
// one Changes call (newest first), whose answers feed the index. A commit
// of no change (a direct push) is remembered as such.
func (a *Attributor) resolve(ctx context.Context, repo string, commits []Commit) ([]Change, error) {
	if err := a.prefetch(ctx, repo, commits); err != nil {
		return nil, err
	}
	r := newCommitRange(commits)
	found := map[int64]Change{}
	claim := func(c Change) {
		if !c.merged() {
			return
		}
		for _, sha := range []string{c.MergeSHA, c.SquashSHA, c.HeadSHA} {
			if sha != "" && r.has(sha) {
				found[c.Number] = c
				r.cover(sha)
			}
		}
	}
	for _, c := range commits {
		if ch, ok, _ := a.index.lookup(repo, c.SHA); ok {
			claim(ch)
		}
	}
	for _, c := range slices.Backward(commits) {
		if _, _, none := a.index.lookup(repo, c.SHA); r.covered[c.SHA] || none {
			continue
		}
		changes, err := a.host.Changes(ctx, repo, c.SHA)
		if err != nil {
			return nil, err
		}
		merged := false
		for _, ch := range changes {
			if ch.merged() {
				merged = true
				a.index.add(ch)
				claim(ch)
			}
		}
		if !merged {
			a.index.none(repo, c.SHA)
		}
		r.covered[c.SHA] = true
	}
	out := make([]Change, 0, len(found))
	for _, c := range found {
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y Change) int {
		return cmp.Or(x.MergedAt.Compare(y.MergedAt), cmp.Compare(x.Number, y.Number))
	})
	return out, nil
}

// prefetchThreshold is how many commits of a range may be unknown to the
// index before the repository's merged changes are listed instead of
// looked up one commit at a time.
const prefetchThreshold = 100

// prefetch fills the index from the host's recently merged changes, back to
// the range's oldest commit, when more than prefetchThreshold commits of
// the range are unknown: one request per page of changes instead of one per
// commit, so that a first deploy shipping thousands of changes is
// attributed within a webhook's deadline. Commits it does not explain are
// looked up one by one as before.
func (a *Attributor) prefetch(ctx context.Context, repo string, commits []Commit) error {
	var unknown int
	var oldest time.Time
	for _, c := range commits {
		if _, ok, none := a.index.lookup(repo, c.SHA); !ok && !none {
			unknown++
		}
		if !c.At.IsZero() && (oldest.IsZero() || c.At.Before(oldest)) {
			oldest = c.At
		}
	}
	if unknown <= prefetchThreshold {
		return nil
	}
	changes, err := a.host.Merged(ctx, repo, oldest)
	for _, c := range changes {
		a.index.add(c)
	}
	return err
}

// commitRange is a deploy's commits as a graph.
type commitRange struct {
	byID    map[string]Commit
	covered map[string]bool
}

func newCommitRange(commits []Commit) *commitRange {
	r := &commitRange{byID: make(map[string]Commit, len(commits)), covered: map[string]bool{}}
	for _, c := range commits {
		r.byID[c.SHA] = c
	}
	return r
}

// has reports whether sha is in the range.
func (r *commitRange) has(sha string) bool {
	_, ok := r.byID[sha]
	return ok
}

// cover marks a landed commit and, for a merge commit, the commits it
// brought in (reachable from its other parents but not from its first).
func (r *commitRange) cover(sha string) {
	r.covered[sha] = true
	ps := r.byID[sha].Parents
	if len(ps) < 2 {
		return
	}
	mainline := r.reach(ps[:1], nil)
	for s := range r.reach(ps[1:], mainline) {
		r.covered[s] = true
	}
}

// reach returns the commits of the range reachable from roots without
// passing through stop.
func (r *commitRange) reach(roots []string, stop map[string]bool) map[string]bool {
	seen := map[string]bool{}
	stack := slices.Clone(roots)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] || stop[s] || !r.has(s) {
			continue
		}
		seen[s] = true
		stack = append(stack, r.byID[s].Parents...)
	}
	return seen
}

// indexMax bounds the merged changes remembered per repository; older ones
// are looked up through the host again when a deploy needs them.
const indexMax = 10000

// index remembers merged changes by the commits they put on their target
// branch (merge and squash commits), so attributing a deploy rarely needs
// Changes calls: the host's poller and webhook feed it every merged change
// they see. It also remembers commits known to belong to no change. Safe
// for concurrent use.
type index struct {
	mu    sync.Mutex
	repos map[string]*repoIndex
}

type repoIndex struct {
	bySHA  map[string]Change
	noneOf map[string]bool
	order  []string // insertion order of bySHA keys, for eviction
}

func newIndex() *index { return &index{repos: map[string]*repoIndex{}} }

func (x *index) repo(name string) *repoIndex {
	key := strings.ToLower(name)
	r, ok := x.repos[key]
	if !ok {
		r = &repoIndex{bySHA: map[string]Change{}, noneOf: map[string]bool{}}
		x.repos[key] = r
	}
	return r
}

// add remembers a merged change under its merge and squash commits.
func (x *index) add(c Change) {
	if !c.merged() {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.repo(c.Repo)
	for _, sha := range []string{c.MergeSHA, c.SquashSHA} {
		if sha == "" {
			continue
		}
		if _, ok := r.bySHA[sha]; !ok {
			r.order = append(r.order, sha)
		}
		r.bySHA[sha] = c
		delete(r.noneOf, sha)
	}
	for len(r.order) > indexMax {
		delete(r.bySHA, r.order[0])
		r.order = r.order[1:]
	}
}

// lookup returns the merged change that landed sha, and whether sha is
// known to belong to none.
func (x *index) lookup(repo, sha string) (c Change, found, none bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.repo(repo)
	c, found = r.bySHA[sha]
	return c, found, r.noneOf[sha]
}

// none remembers that sha belongs to no merged change.
func (x *index) none(repo, sha string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.repo(repo)
	if len(r.noneOf) >= indexMax {
		clear(r.noneOf)
	}
	r.noneOf[sha] = true
}
