// Package gitlabfake is an in-memory GitLab REST API (v4) for tests,
// benchmarks and the sandbox. It serves what the GitLab connector calls
// through client-go: projects (the token's, by group, one), environments, merge requests (list with
// updated_after, get, by commit), deployments, compare and commits
// (ref_name ranges "a..b" included) the way GitLab does: offset pagination
// capped at 100 per page with X-Page/X-Next-Page/X-Total headers and a Link
// header, PRIVATE-TOKEN or Bearer authentication (401 otherwise), 404 for
// unknown projects, RateLimit-* headers and injectable 429s (with or
// without Retry-After, as GitLab sends both), and GitLab's JSON error
// bodies ({"message": ...}).
//
// A Fake is seeded through its exported methods and counts the requests it
// answered (Requests). It is safe for concurrent use.
package gitlabfake

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// Fake is an in-memory GitLab; create it with New.
type Fake struct {
	mu       sync.Mutex
	token    string
	now      func() time.Time
	projects map[string]*project // by path
	order    []string
	groups   map[string][]string // group path → project paths
	injected []injected
	requests int
	log      []Request
	limit    int // compare answers at most this many commits (then compare_timeout)
	seq      int
}

type injected struct {
	status     int
	retryAfter string
	reset      time.Time
}

type project struct {
	ID            int64
	Path          string
	DefaultBranch string
	commits       map[string]*Commit
	corder        []string
	mrs           []*MR
	deploys       []*Deployment
}

// Commit is one seeded commit.
type Commit struct {
	SHA     string
	Parents []string
	Title   string
	At      time.Time
}

// MR is one seeded merge request.
type MR struct {
	IID          int64
	Title        string
	Description  string
	Author       string
	Labels       []string
	SourceBranch string
	TargetBranch string
	State        string // opened | merged | closed
	CreatedAt    time.Time
	UpdatedAt    time.Time
	MergedAt     time.Time
	ClosedAt     time.Time
	MergeSHA     string
	SquashSHA    string
	HeadSHA      string
	Commits      []string // the source branch's commits
}

// Deployment is one seeded deployment.
type Deployment struct {
	ID          int64
	Environment string
	SHA         string
	Ref         string
	Status      string // success | failed | running | canceled | created
	CreatedAt   time.Time
	UpdatedAt   time.Time
	User        string
}

// New returns a fake accepting token (any non-empty token when "").
func New(token string, now func() time.Time) *Fake {
	if now == nil {
		now = time.Now
	}
	return &Fake{token: token, now: now, projects: map[string]*project{}, groups: map[string][]string{}, limit: 1000}
}

// Server starts an httptest server for the fake; its URL + "/api/v4" is
// the base_url to configure.
func (f *Fake) Server() *httptest.Server { return httptest.NewServer(f) }

// SetCompareLimit makes compare answer at most n commits, with
// compare_timeout set when the range is larger.
func (f *Fake) SetCompareLimit(n int) {
	f.mu.Lock()
	f.limit = n
	f.mu.Unlock()
}

// AddProject adds a project (path "group/name") to the groups along its path.
func (f *Fake) AddProject(path, defaultBranch string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	f.projects[path] = &project{ID: int64(f.seq), Path: path, DefaultBranch: defaultBranch, commits: map[string]*Commit{}}
	f.order = append(f.order, path)
	for i := range path {
		if path[i] == '/' {
			f.groups[path[:i]] = append(f.groups[path[:i]], path)
		}
	}
}

// AddCommit adds a commit with the given parents and returns its sha.
func (f *Fake) AddCommit(path, title string, at time.Time, parents ...string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.projects[path]
	f.seq++
	sum := sha1.Sum([]byte(fmt.Sprintf("%s/%d/%s", path, f.seq, title)))
	sha := hex.EncodeToString(sum[:])
	p.commits[sha] = &Commit{SHA: sha, Parents: parents, Title: title, At: at}
	p.corder = append(p.corder, sha)
	return sha
}

// AddMR adds or replaces (same IID) a merge request.
func (f *Fake) AddMR(path string, mr MR) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.projects[path]
	if mr.UpdatedAt.IsZero() {
		mr.UpdatedAt = latest(mr.CreatedAt, mr.MergedAt, mr.ClosedAt)
	}
	for i, m := range p.mrs {
		if m.IID == mr.IID {
			p.mrs[i] = &mr
			return
		}
	}
	p.mrs = append(p.mrs, &mr)
}

// AddDeployment adds or replaces (same ID) a deployment.
func (f *Fake) AddDeployment(path string, d Deployment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.projects[path]
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = d.CreatedAt
	}
	for i, x := range p.deploys {
		if x.ID == d.ID {
			p.deploys[i] = &d
			return
		}
	}
	p.deploys = append(p.deploys, &d)
}

// Inject makes the next request answer status (429 or 5xx); retryAfter
// ("" for none) and reset (zero for none) set Retry-After and
// RateLimit-Reset.
func (f *Fake) Inject(status int, retryAfter string, reset time.Time) {
	f.mu.Lock()
	f.injected = append(f.injected, injected{status, retryAfter, reset})
	f.mu.Unlock()
}

// maxLog bounds the request log.
const maxLog = 100000

// Request is one answered request as the log keeps it: its path and, for
// a listing, how many items its page held (-1 otherwise).
type Request struct {
	Path  string
	Items int
}

// Log returns the requests answered since the last call, oldest first.
func (f *Fake) Log() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.log
	f.log = nil
	return out
}

// Requests is how many requests the fake answered.
func (f *Fake) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// ServeHTTP answers one API request.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if len(f.log) >= maxLog { // a long sandbox run keeps the newest
		f.log = f.log[maxLog/2:]
	}
	f.log = append(f.log, Request{Path: r.URL.Path, Items: -1})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("RateLimit-Limit", "2000")
	h.Set("RateLimit-Remaining", "1999")
	if len(f.injected) > 0 {
		in := f.injected[0]
		f.injected = f.injected[1:]
		if in.retryAfter != "" {
			h.Set("Retry-After", in.retryAfter)
		}
		if !in.reset.IsZero() {
			h.Set("RateLimit-Remaining", "0")
			h.Set("RateLimit-Reset", strconv.FormatInt(in.reset.Unix(), 10))
		}
		if in.status == http.StatusTooManyRequests {
			h.Set("Content-Type", "text/plain")
			w.WriteHeader(in.status)
			_, _ = w.Write([]byte("Retry later\n"))
			return
		}
		fail(w, in.status, "500 Internal Server Error")
		return
	}
	tok := r.Header.Get("PRIVATE-TOKEN")
	if a := r.Header.Get("Authorization"); tok == "" && len(a) > 7 && a[:7] == "Bearer " {
		tok = a[7:]
	}
	if tok == "" || (f.token != "" && tok != f.token) {
		fail(w, http.StatusUnauthorized, "401 Unauthorized")
		return
	}
	f.route(w, r)
}
