package githubfake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/go-github/v60/github"
)

// PullRequest seeds a pull request.
type PullRequest struct {
	Number  int // 0: the next free number
	Title   string
	Body    string
	Author  string // login
	Labels  []string
	HeadRef string // default "pr-<number>"
	Base    string // default: the default branch
	Draft   bool
	// CreatedAt defaults to now.
	CreatedAt time.Time
	// Commits is how many commits to create on the head branch (default 1).
	Commits int
}

// MergeOptions says how a pull request is merged.
type MergeOptions struct {
	// Method is "squash" (default), "merge" (a merge commit with the branch
	// as second parent) or "rebase" (the branch commits replayed on the base).
	Method string
	At     time.Time // default now
	By     string    // login of the merger (default the author)
}

type pull struct {
	PullRequest
	id        int64
	state     string // open | closed
	headSHA   string
	commits   []string // head-branch commits, oldest first
	landed    []string // commits it put on the base branch
	mergeSHA  string
	mergedBy  string
	mergedAt  time.Time
	closedAt  time.Time
	updatedAt time.Time
}

// AddPullRequest opens a pull request (with pr.Commits commits on its head
// branch, forked from the base head) and returns its number.
func (f *Fake) AddPullRequest(fullName string, pr PullRequest) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repoLocked(fullName)
	if err != nil {
		return 0, err
	}
	if pr.Number == 0 {
		pr.Number = r.nextNumber
	}
	if r.pull(pr.Number) != nil {
		return 0, fmt.Errorf("githubfake: pull request #%d already exists", pr.Number)
	}
	r.nextNumber = max(r.nextNumber, pr.Number+1)
	if pr.Base == "" {
		pr.Base = r.defaultBranch
	}
	if pr.HeadRef == "" {
		pr.HeadRef = "pr-" + strconv.Itoa(pr.Number)
	}
	if pr.CreatedAt.IsZero() {
		pr.CreatedAt = f.now()
	}
	pr.CreatedAt = pr.CreatedAt.UTC()
	p := &pull{PullRequest: pr, id: f.id(), state: "open", updatedAt: pr.CreatedAt}
	base, ok := r.branches[pr.Base]
	if !ok {
		return 0, fmt.Errorf("%w: base branch %s", ErrNotFound, pr.Base)
	}
	parent := base
	for i := range max(pr.Commits, 1) {
		c := f.commitLocked(r, Commit{
			Branch: pr.HeadRef, Parents: []string{parent}, Author: pr.Author, Date: pr.CreatedAt,
			Message: fmt.Sprintf("%s (part %d)", pr.Title, i+1),
		})
		p.commits = append(p.commits, c.sha)
		parent = c.sha
	}
	p.headSHA = parent
	r.pulls = append(r.pulls, p)
	return pr.Number, nil
}

func (r *repo) pull(number int) *pull {
	for _, p := range r.pulls {
		if p.Number == number {
			return p
		}
	}
	return nil
}

// MergePullRequest merges an open pull request into its base branch and
// returns the merge commit sha (merge_commit_sha).
func (f *Fake) MergePullRequest(fullName string, number int, opt MergeOptions) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repoLocked(fullName)
	if err != nil {
		return "", err
	}
	p := r.pull(number)
	if p == nil {
		return "", fmt.Errorf("%w: pull request #%d", ErrNotFound, number)
	}
	if p.state != "open" {
		return "", fmt.Errorf("githubfake: pull request #%d is not open", number)
	}
	if opt.At.IsZero() {
		opt.At = f.now()
	}
	if opt.By == "" {
		opt.By = p.Author
	}
	at := opt.At.UTC()
	switch opt.Method {
	case "merge":
		c := f.commitLocked(r, Commit{
			Branch: p.Base, Parents: []string{r.branches[p.Base], p.headSHA}, Author: opt.By, Date: at,
			Message: fmt.Sprintf("Merge pull request #%d from %s/%s", number, r.owner, p.HeadRef),
		})
		p.landed = append([]string{c.sha}, p.commits...)
	case "rebase":
		for i := range p.commits {
			c := f.commitLocked(r, Commit{Branch: p.Base, Author: p.Author, Date: at, Message: fmt.Sprintf("%s (rebased %d)", p.Title, i+1)})
			p.landed = append(p.landed, c.sha)
		}
	default:
		c := f.commitLocked(r, Commit{Branch: p.Base, Author: p.Author, Date: at, Message: fmt.Sprintf("%s (#%d)", p.Title, number)})
		p.landed = []string{c.sha}
	}
	p.mergeSHA = r.branches[p.Base]
	p.state, p.mergedAt, p.closedAt, p.updatedAt, p.mergedBy = "closed", at, at, at, opt.By
	return p.mergeSHA, nil
}

// ClosePullRequest closes an open pull request without merging it.
func (f *Fake) ClosePullRequest(fullName string, number int, at time.Time) error {
	return f.editPull(fullName, number, at, func(p *pull, at time.Time) {
		p.state, p.closedAt = "closed", at
	})
}

// TouchPullRequest marks a pull request updated at at (an edit, a comment).
func (f *Fake) TouchPullRequest(fullName string, number int, at time.Time) error {
	return f.editPull(fullName, number, at, func(*pull, time.Time) {})
}

func (f *Fake) editPull(fullName string, number int, at time.Time, edit func(*pull, time.Time)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repoLocked(fullName)
	if err != nil {
		return err
	}
	p := r.pull(number)
	if p == nil {
		return fmt.Errorf("%w: pull request #%d", ErrNotFound, number)
	}
	if at.IsZero() {
		at = f.now()
	}
	edit(p, at.UTC())
	p.updatedAt = at.UTC()
	return nil
}

// listPulls serves GET /repos/{owner}/{repo}/pulls: state (open|closed|all),
// base, sort (created|updated) and direction (default desc).
func (f *Fake) listPulls(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rp := f.repoFor(r)
	if rp == nil {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var sel []*pull
	for _, p := range rp.pulls {
		if (state == "all" || p.state == state) && (q.Get("base") == "" || q.Get("base") == p.Base) {
			sel = append(sel, p)
		}
	}
	key := func(p *pull) time.Time { return p.CreatedAt }
	if q.Get("sort") == "updated" {
		key = func(p *pull) time.Time { return p.updatedAt }
	}
	desc := q.Get("direction") != "asc"
	slices.SortStableFunc(sel, func(a, b *pull) int {
		c := key(a).Compare(key(b))
		if c == 0 {
			c = a.Number - b.Number
		}
		if desc {
			return -c
		}
		return c
	})
	var out []*github.PullRequest
	for _, p := range pageOf(w, r, sel) {
		out = append(out, rp.renderPull(p, false))
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, nonNil(out))
}

// getPull serves GET /repos/{owner}/{repo}/pulls/{number} (the full schema,
// with "merged").
func (f *Fake) getPull(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rp := f.repoFor(r)
	n, _ := strconv.Atoi(r.PathValue("number"))
	var out *github.PullRequest
	if rp != nil {
		if p := rp.pull(n); p != nil {
			out = rp.renderPull(p, true)
		}
	}
	f.mu.Unlock()
	if out == nil {
		f.notFound(w)
		return
	}
	f.respond(w, r, http.StatusOK, out)
}

// pullsForCommit serves GET /repos/{owner}/{repo}/commits/{sha}/pulls: the
// merged pull request that put the commit on the default branch, or, for a
// commit not on the default branch, the pull requests whose branch has it.
func (f *Fake) pullsForCommit(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rp := f.repoFor(r)
	var c *commit
	if rp != nil {
		c = rp.resolve(r.PathValue("sha"))
	}
	if c == nil {
		f.mu.Unlock()
		f.fail(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+r.PathValue("sha"))
		return
	}
	onDefault := rp.ancestors(rp.branches[rp.defaultBranch])[c.sha]
	var sel []*pull
	for _, p := range rp.pulls {
		if onDefault && !p.mergedAt.IsZero() && slices.Contains(p.landed, c.sha) ||
			!onDefault && slices.Contains(p.commits, c.sha) {
			sel = append(sel, p)
		}
	}
	var out []*github.PullRequest
	for _, p := range pageOf(w, r, sel) {
		out = append(out, rp.renderPull(p, false))
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, nonNil(out))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
