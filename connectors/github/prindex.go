package github

import (
	"strings"
	"sync"
)

// prIndexMax bounds the merged PRs remembered per repository; older ones are
// looked up through the API again when a deploy needs them.
const prIndexMax = 10000

// prIndex remembers merged pull requests by the commits they put on their
// base branch, so attributing a deploy rarely needs "PRs for a commit"
// calls: the poller and the webhook feed it every merged PR they see. It
// also remembers commits known to belong to no PR. Safe for concurrent use.
type prIndex struct {
	mu    sync.Mutex
	repos map[string]*repoPRs
}

type repoPRs struct {
	bySHA map[string]prInfo
	none  map[string]bool
	order []string // insertion order of bySHA keys, for eviction
}

func newPRIndex() *prIndex { return &prIndex{repos: map[string]*repoPRs{}} }

func (x *prIndex) repo(name string) *repoPRs {
	key := strings.ToLower(name)
	r, ok := x.repos[key]
	if !ok {
		r = &repoPRs{bySHA: map[string]prInfo{}, none: map[string]bool{}}
		x.repos[key] = r
	}
	return r
}

// add remembers a merged PR under its merge commit.
func (x *prIndex) add(p prInfo) {
	if !p.merged() || p.MergeSHA == "" {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.repo(p.Repo)
	if _, ok := r.bySHA[p.MergeSHA]; !ok {
		r.order = append(r.order, p.MergeSHA)
	}
	r.bySHA[p.MergeSHA] = p
	delete(r.none, p.MergeSHA)
	for len(r.order) > prIndexMax {
		delete(r.bySHA, r.order[0])
		r.order = r.order[1:]
	}
}

// lookup returns the merged PR whose merge commit is sha, and whether sha is
// known to belong to no PR.
func (x *prIndex) lookup(repo, sha string) (p prInfo, found, none bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.repo(repo)
	p, found = r.bySHA[sha]
	return p, found, r.none[sha]
}

// noPR remembers that sha belongs to no merged PR.
func (x *prIndex) noPR(repo, sha string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.repo(repo)
	if len(r.none) >= prIndexMax {
		clear(r.none)
	}
	r.none[sha] = true
}
