package gitlabfake

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// reach is every commit reachable from sha (itself included).
func (p *project) reach(sha string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{sha}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		c := p.commits[s]
		if c == nil || seen[s] {
			continue
		}
		seen[s] = true
		stack = append(stack, c.Parents...)
	}
	return seen
}

// between is the commits reachable from to and not from from, oldest first
// (by date, then by creation).
func (p *project) between(from, to string) []*Commit {
	base := map[string]bool{}
	if from != "" {
		base = p.reach(from)
	}
	var out []*Commit
	for _, sha := range p.corder {
		if p.reach(to)[sha] && !base[sha] {
			out = append(out, p.commits[sha])
		}
	}
	slices.SortStableFunc(out, func(a, b *Commit) int { return a.At.Compare(b.At) })
	return out
}

func commitJSON(c *Commit) map[string]any {
	return map[string]any{
		"id": c.SHA, "short_id": c.SHA[:8], "title": c.Title, "message": c.Title + "\n",
		"parent_ids": nonNil(c.Parents), "committed_date": stamp(c.At), "authored_date": stamp(c.At),
		"created_at": stamp(c.At),
	}
}

// compare answers GET .../repository/compare?from=&to=: the commits
// reachable from to and not from from, oldest first, cut at the fake's
// limit with compare_timeout set.
func (f *Fake) compare(w http.ResponseWriter, r *http.Request, p *project) {
	from, to := r.URL.Query().Get("from"), r.URL.Query().Get("to")
	if p.commits[from] == nil || p.commits[to] == nil {
		fail(w, http.StatusNotFound, "404 Ref Not Found")
		return
	}
	cs := p.between(from, to)
	timeout := len(cs) > f.limit
	if timeout {
		cs = cs[:f.limit]
	}
	out := make([]any, 0, len(cs))
	for _, c := range cs {
		out = append(out, commitJSON(c))
	}
	writeJSON(w, map[string]any{"commit": commitJSON(p.commits[to]), "commits": out, "diffs": []any{},
		"compare_timeout": timeout, "compare_same_ref": from == to})
}

// listCommits answers GET .../repository/commits?ref_name=X[..Y]&since=:
// newest first, paginated.
func (f *Fake) listCommits(w http.ResponseWriter, r *http.Request, p *project) {
	q := r.URL.Query()
	ref := q.Get("ref_name")
	from, to, isRange := strings.Cut(ref, "..")
	if !isRange {
		from, to = "", ref
	}
	if p.commits[to] == nil || (from != "" && p.commits[from] == nil) {
		fail(w, http.StatusNotFound, "404 Ref Not Found")
		return
	}
	since, _ := time.Parse(time.RFC3339, q.Get("since"))
	cs := p.between(from, to)
	slices.Reverse(cs)
	var out []any
	for _, c := range cs {
		if !c.At.Before(since) {
			out = append(out, commitJSON(c))
		}
	}
	f.page(w, r, out)
}

func (f *Fake) getCommit(w http.ResponseWriter, p *project, sha string) {
	c := p.commits[sha]
	if c == nil {
		fail(w, http.StatusNotFound, "404 Commit Not Found")
		return
	}
	writeJSON(w, commitJSON(c))
}

// mrsOfCommit answers GET .../repository/commits/:sha/merge_requests: the
// merge requests that landed sha (merge or squash commit) or whose source
// branch held it.
func (f *Fake) mrsOfCommit(w http.ResponseWriter, p *project, sha string) {
	if p.commits[sha] == nil {
		fail(w, http.StatusNotFound, "404 Commit Not Found")
		return
	}
	out := []any{}
	for _, m := range p.mrs {
		if m.MergeSHA == sha || m.SquashSHA == sha || slices.Contains(m.Commits, sha) {
			out = append(out, mrJSON(p, m))
		}
	}
	writeJSON(w, out)
}
