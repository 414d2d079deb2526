package gitlab

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// resolve finds the merged merge requests that landed among commits (a
// deploy's range, oldest first). Merge requests the index knows cost
// nothing; the branch commits of a known merge commit are skipped; every
// other commit costs one "merge requests of a commit" call (newest first),
// whose answers feed the index. A commit of no merge request (a direct
// push) is remembered as such.
func (a *attributor) resolve(ctx context.Context, project string, commits []*gl.Commit) ([]mrInfo, error) {
	r := newCommitRange(commits)
	found := map[int64]mrInfo{}
	claim := func(m mrInfo) {
		if !m.merged() {
			return
		}
		for _, sha := range []string{m.MergeSHA, m.SquashSHA, m.HeadSHA} {
			if sha != "" && r.byID[sha] != nil {
				found[m.IID] = m
				r.cover(sha)
			}
		}
	}
	for _, c := range commits {
		if m, ok, _ := a.index.lookup(project, c.ID); ok {
			claim(m)
		}
	}
	for _, c := range slices.Backward(commits) {
		if _, _, none := a.index.lookup(project, c.ID); r.covered[c.ID] || none {
			continue
		}
		mrs, _, err := a.api.Commits.ListMergeRequestsByCommit(project, c.ID, gl.WithContext(ctx))
		if err != nil && !isGone(err) {
			return nil, apiErr(fmt.Sprintf("merge requests of commit %s %.12s", project, c.ID), err)
		}
		merged := false
		for _, mr := range mrs {
			if m := newMRInfo(project, mr); m.merged() {
				merged = true
				a.index.add(m)
				claim(m)
			}
		}
		if !merged {
			a.index.noMR(project, c.ID)
		}
		r.covered[c.ID] = true
	}
	out := make([]mrInfo, 0, len(found))
	for _, m := range found {
		out = append(out, m)
	}
	slices.SortFunc(out, func(x, y mrInfo) int {
		if c := x.MergedAt.Compare(y.MergedAt); c != 0 {
			return c
		}
		return int(x.IID - y.IID)
	})
	return out, nil
}

// commitRange is a deploy's commits as a graph.
type commitRange struct {
	byID    map[string]*gl.Commit
	covered map[string]bool
}

func newCommitRange(commits []*gl.Commit) *commitRange {
	r := &commitRange{byID: make(map[string]*gl.Commit, len(commits)), covered: map[string]bool{}}
	for _, c := range commits {
		r.byID[c.ID] = c
	}
	return r
}

// cover marks a landed commit and, for a merge commit, the commits it
// brought in (reachable from its other parents but not from its first).
func (r *commitRange) cover(sha string) {
	r.covered[sha] = true
	c := r.byID[sha]
	if c == nil || len(c.ParentIDs) < 2 {
		return
	}
	mainline := r.reach(c.ParentIDs[:1], nil)
	for s := range r.reach(c.ParentIDs[1:], mainline) {
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
		if seen[s] || stop[s] || r.byID[s] == nil {
			continue
		}
		seen[s] = true
		stack = append(stack, r.byID[s].ParentIDs...)
	}
	return seen
}

// mrIndexMax bounds the merged merge requests remembered per project.
const mrIndexMax = 10000

// mrIndex remembers merged merge requests by the commits they landed
// (merge and squash commits), so attributing a deploy rarely needs "merge
// requests of a commit" calls; it also remembers commits of no merge
// request. Safe for concurrent use.
type mrIndex struct {
	mu       sync.Mutex
	projects map[string]*projectMRs
}

type projectMRs struct {
	bySHA map[string]mrInfo
	none  map[string]bool
	order []string
}

func newMRIndex() *mrIndex { return &mrIndex{projects: map[string]*projectMRs{}} }

func (x *mrIndex) project(name string) *projectMRs {
	key := strings.ToLower(name)
	p, ok := x.projects[key]
	if !ok {
		p = &projectMRs{bySHA: map[string]mrInfo{}, none: map[string]bool{}}
		x.projects[key] = p
	}
	return p
}

// add remembers a merged merge request under the commits it landed.
func (x *mrIndex) add(m mrInfo) {
	if !m.merged() {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.project(m.Project)
	for _, sha := range []string{m.MergeSHA, m.SquashSHA} {
		if sha == "" {
			continue
		}
		if _, ok := p.bySHA[sha]; !ok {
			p.order = append(p.order, sha)
		}
		p.bySHA[sha] = m
		delete(p.none, sha)
	}
	for len(p.order) > mrIndexMax {
		delete(p.bySHA, p.order[0])
		p.order = p.order[1:]
	}
}

// lookup returns the merged merge request that landed sha, and whether sha
// is known to belong to none.
func (x *mrIndex) lookup(project, sha string) (m mrInfo, found, none bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.project(project)
	m, found = p.bySHA[sha]
	return m, found, p.none[sha]
}

// noMR remembers that sha belongs to no merged merge request.
func (x *mrIndex) noMR(project, sha string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.project(project)
	if len(p.none) >= mrIndexMax {
		clear(p.none)
	}
	p.none[sha] = true
}
