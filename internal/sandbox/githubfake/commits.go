package githubfake

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// compareCap is how many commits compare returns when the request has no
// page or per_page parameter.
const compareCap = 250

// compare serves GET /repos/{owner}/{repo}/compare/{base}...{head}: the
// commits reachable from head and not from base, oldest first. Without page
// or per_page the list stops at 250 commits (total_commits says how many
// there are); with them it paginates with Link headers.
func (f *Fake) compare(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rp := f.repoFor(r)
	baseRef, headRef, ok := strings.Cut(r.PathValue("basehead"), "...")
	var base, head *commit
	if rp != nil && ok {
		base, head = rp.resolve(baseRef), rp.resolve(headRef)
	}
	if base == nil || head == nil {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	fromBase, fromHead := rp.ancestors(base.sha), rp.ancestors(head.sha)
	ahead := rp.chronological(fromHead, fromBase)
	behind := rp.chronological(fromBase, fromHead)
	q := r.URL.Query()
	list := ahead
	if q.Has("page") || q.Has("per_page") {
		list = pageOf(w, r, ahead)
	} else if len(list) > compareCap {
		list = list[:compareCap]
	}
	out := &github.CommitsComparison{
		BaseCommit:   rp.renderCommit(base),
		Status:       github.String(compareStatus(len(ahead), len(behind))),
		AheadBy:      github.Int(len(ahead)),
		BehindBy:     github.Int(len(behind)),
		TotalCommits: github.Int(len(ahead)),
		Commits:      []*github.RepositoryCommit{},
		Files:        []*github.CommitFile{},
		HTMLURL:      github.String(htmlBase + "/" + rp.fullName() + "/compare/" + r.PathValue("basehead")),
	}
	if mb := rp.mergeBase(fromBase, fromHead); mb != nil {
		out.MergeBaseCommit = rp.renderCommit(mb)
	}
	for _, c := range list {
		out.Commits = append(out.Commits, rp.renderCommit(c))
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, out)
}

func compareStatus(ahead, behind int) string {
	switch {
	case ahead == 0 && behind == 0:
		return "identical"
	case behind == 0:
		return "ahead"
	case ahead == 0:
		return "behind"
	}
	return "diverged"
}

// chronological returns the commits in in but not in out, oldest first.
func (r *repo) chronological(in, out map[string]bool) []*commit {
	var list []*commit
	for sha := range in {
		if !out[sha] {
			list = append(list, r.commits[sha])
		}
	}
	slices.SortFunc(list, func(a, b *commit) int { return a.seq - b.seq })
	return list
}

// mergeBase is the newest common ancestor.
func (r *repo) mergeBase(a, b map[string]bool) *commit {
	var best *commit
	for sha := range a {
		if b[sha] && (best == nil || r.commits[sha].seq > best.seq) {
			best = r.commits[sha]
		}
	}
	return best
}

// listCommits serves GET /repos/{owner}/{repo}/commits: sha (branch or sha,
// default the default branch), since and until (commit date), newest first.
func (f *Fake) listCommits(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rp := f.repoFor(r)
	if rp == nil {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	q := r.URL.Query()
	ref := q.Get("sha")
	if ref == "" {
		ref = rp.defaultBranch
	}
	head := rp.resolve(ref)
	if head == nil {
		f.mu.Unlock()
		f.fail(w, http.StatusNotFound, "No commit found for SHA: "+ref)
		return
	}
	since, _ := time.Parse(time.RFC3339, q.Get("since"))
	until, _ := time.Parse(time.RFC3339, q.Get("until"))
	var sel []*commit
	for _, c := range rp.chronological(rp.ancestors(head.sha), nil) {
		if (since.IsZero() || !c.date.Before(since)) && (until.IsZero() || !c.date.After(until)) {
			sel = append(sel, c)
		}
	}
	slices.Reverse(sel)
	var out []*github.RepositoryCommit
	for _, c := range pageOf(w, r, sel) {
		out = append(out, rp.renderCommit(c))
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, nonNil(out))
}

// getRepo serves GET /repos/{owner}/{repo}.
func (f *Fake) getRepo(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	var out *github.Repository
	if rp := f.repoFor(r); rp != nil {
		out = rp.render()
	}
	f.mu.Unlock()
	if out == nil {
		f.notFound(w)
		return
	}
	f.respond(w, r, http.StatusOK, out)
}

// orgRepos serves GET /orgs/{org}/repos, in creation order.
func (f *Fake) orgRepos(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	var sel []*repo
	for _, key := range f.order {
		if rp := f.repos[key]; strings.EqualFold(rp.owner, r.PathValue("org")) {
			sel = append(sel, rp)
		}
	}
	if len(sel) == 0 {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	var out []*github.Repository
	for _, rp := range pageOf(w, r, sel) {
		out = append(out, rp.render())
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, out)
}

// repoFor finds the repository named by the request path. Callers hold f.mu.
func (f *Fake) repoFor(r *http.Request) *repo {
	return f.repos[strings.ToLower(r.PathValue("owner")+"/"+r.PathValue("repo"))]
}

// getCommit serves GET /repos/{owner}/{repo}/commits/{ref}: the commit, or
// with Accept: application/vnd.github.sha (or .v3.sha) its sha as plain
// text. An unknown ref is a 422, as on GitHub.
func (f *Fake) getCommit(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rp := f.repoFor(r)
	if rp == nil {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	c := rp.resolve(r.PathValue("sha"))
	if c == nil {
		f.mu.Unlock()
		f.fail(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+r.PathValue("sha"))
		return
	}
	out := rp.renderCommit(c)
	f.mu.Unlock()
	if strings.Contains(r.Header.Get("Accept"), ".sha") {
		f.spend(w, false)
		w.Header().Set("Content-Type", "application/vnd.github.sha; charset=utf-8")
		_, _ = w.Write([]byte(c.sha))
		return
	}
	f.respond(w, r, http.StatusOK, out)
}
