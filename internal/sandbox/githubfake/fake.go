// Package githubfake is an in-memory GitHub REST API for tests, benchmarks and
// the `goalpost demo` sandbox. It serves the endpoints the GitHub connector
// calls through go-github v60 (pull requests, deployments and their statuses,
// compare, PRs for a commit, commits, workflow runs, releases, repositories,
// hook deliveries and redelivery, App installation tokens) the way the real
// API does: Link-header pagination capped at 100 per page, ETag and
// If-None-Match answered with 304 (which, as on GitHub, do not use quota), a
// primary rate limit with X-RateLimit-* headers, injectable secondary limits
// and 429s, and GitHub's JSON error bodies.
//
// A Fake is seeded through its exported methods (AddRepo, AddCommit,
// AddPullRequest, MergePullRequest, AddDeployment, AddDeploymentStatus,
// AddWorkflowRun, AddRelease, AddHook, AddHookDelivery, ...) and counts every
// request it answers (Stats), so tests can assert how many calls a client
// made and how many were 304s. It is safe for concurrent use: seeding while a
// client is polling is fine.
package githubfake

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Fake is an in-memory GitHub. The zero value is not usable; call New.
type Fake struct {
	mu           sync.Mutex
	now          func() time.Time
	tokens       map[string]bool
	app          *appConfig
	quota        quota
	injected     []*RateLimitResponse
	stats        Stats
	redeliver    func(repo string, hookID int64, d HookDelivery) int
	redeliveries []Redelivery
	noHookAccess map[string]bool // tokens refused on hook deliveries
	appHook      *hook           // the App's own webhook

	nextID   int64
	repos    map[string]*repo     // by lower-case full name
	order    []string             // repo keys in creation order
	orgHooks map[string]*hook     // by "org/hookID"
	issued   map[string]time.Time // installation tokens and their expiry
}

// Option configures a Fake.
type Option func(*Fake)

// WithToken accepts tok as a valid token (sent as "Bearer tok" or "token tok").
// Without any WithToken (and no WithApp), every non-empty token is accepted;
// a request without Authorization is always answered 401.
func WithToken(tok string) Option {
	return func(f *Fake) { f.tokens[tok] = true }
}

// WithClock sets the fake's clock (default time.Now): it stamps seeded
// objects without a time and drives the rate-limit window and token expiry.
func WithClock(now func() time.Time) Option {
	return func(f *Fake) { f.now = now }
}

// WithRateLimit sets the primary rate limit per hour (default 5000). Every
// authenticated request except a 304 uses one; at zero the fake answers 403
// with X-RateLimit-Remaining: 0 until the window resets.
func WithRateLimit(perHour int) Option {
	return func(f *Fake) { f.quota.limit = perHour }
}

// WithApp lets the GitHub App appID mint installation tokens through
// POST /app/installations/{id}/access_tokens, with a JWT signed by the key
// whose public half is pub. Issued tokens are valid for one hour.
func WithApp(appID int64, pub *rsa.PublicKey) Option {
	return func(f *Fake) { f.app = &appConfig{id: appID, key: pub} }
}

// WithRedeliver is called for every redelivery request (POST .../attempts);
// it returns the status code recorded for the new delivery (the demo uses it
// to really resend the payload). Default: 200, status "OK".
func WithRedeliver(fn func(repo string, hookID int64, d HookDelivery) int) Option {
	return func(f *Fake) { f.redeliver = fn }
}

// WithoutHookAccess makes tok a token that reads repositories but lacks
// webhook permission: hook delivery endpoints answer it 403 "Resource not
// accessible by personal access token", as GitHub does.
func WithoutHookAccess(tok string) Option {
	return func(f *Fake) { f.tokens[tok], f.noHookAccess[tok] = true, true }
}

// New returns an empty Fake.
func New(opts ...Option) *Fake {
	f := &Fake{
		now:          time.Now,
		tokens:       map[string]bool{},
		repos:        map[string]*repo{},
		orgHooks:     map[string]*hook{},
		issued:       map[string]time.Time{},
		quota:        quota{limit: 5000},
		appHook:      &hook{},
		noHookAccess: map[string]bool{},
		stats:        Stats{Paths: map[string]PathStats{}},
	}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Server starts an httptest server for the fake; the caller closes it. Its
// URL (plus "/") is the base_url; "/api/v3/" below it works too (GHES style).
func (f *Fake) Server() *httptest.Server { return httptest.NewServer(f.Handler()) }

// Handler returns the fake's HTTP handler. Requests may be rooted at "/" or
// at "/api/v3/" (GitHub Enterprise Server paths).
func (f *Fake) Handler() http.Handler {
	mux := http.NewServeMux()
	f.routes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prefix := ""
		if p, ok := strings.CutPrefix(r.URL.Path, "/api/v3"); ok && strings.HasPrefix(p, "/") {
			prefix = "/api/v3"
			r2 := r.Clone(r.Context())
			r2.URL.Path = p
			r2.URL.RawPath = ""
			r = r2
		}
		r = r.WithContext(context.WithValue(r.Context(), prefixKey{}, prefix))
		f.serve(mux, w, r)
	})
}

type prefixKey struct{}

// serve authenticates, counts and rate-limits one request, then routes it.
func (f *Fake) serve(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	defer func() { f.count(r.URL.Path, rec.status) }()
	if strings.HasPrefix(r.URL.Path, "/app/") {
		mux.ServeHTTP(rec, r) // App endpoints authenticate with a JWT
		return
	}
	if msg, ok := f.authorize(r); !ok {
		writeError(rec, http.StatusUnauthorized, msg)
		return
	}
	if strings.Contains(r.URL.Path, "/hooks/") && f.hookRefused(r) {
		writeError(rec, http.StatusForbidden, "Resource not accessible by personal access token")
		return
	}
	if f.limited(rec, r) {
		return
	}
	mux.ServeHTTP(rec, r)
}

func (f *Fake) hookRefused(r *http.Request) bool {
	tok := strings.TrimPrefix(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), "token ")
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.noHookAccess[tok]
}

func (f *Fake) authorize(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "Requires authentication", false
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "token ")
	}
	if !ok || tok == "" {
		return "Bad credentials", false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if exp, issued := f.issued[tok]; issued {
		return "Bad credentials", f.now().Before(exp)
	}
	if len(f.tokens) == 0 && f.app == nil {
		return "", true
	}
	return "Bad credentials", f.tokens[tok]
}

// Stats counts the requests the fake answered.
type Stats struct {
	Total       int // every request, whatever its answer
	NotModified int // 304 answers
	RateLimited int // 403/429 rate-limit answers
	// Paths counts per URL path ("/repos/acme/api/pulls"), without query.
	Paths map[string]PathStats
}

// PathStats counts the requests to one path.
type PathStats struct {
	Total       int
	NotModified int
}

// Stats returns a copy of the request counters.
func (f *Fake) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	s.Paths = make(map[string]PathStats, len(f.stats.Paths))
	for k, v := range f.stats.Paths {
		s.Paths[k] = v
	}
	return s
}

// ResetStats zeroes the request counters.
func (f *Fake) ResetStats() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats = Stats{Paths: map[string]PathStats{}}
}

func (f *Fake) count(path string, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.Total++
	p := f.stats.Paths[path]
	p.Total++
	switch status {
	case http.StatusNotModified:
		f.stats.NotModified++
		p.NotModified++
	case http.StatusForbidden, http.StatusTooManyRequests:
		f.stats.RateLimited++
	}
	f.stats.Paths[path] = p
}

// recorder remembers the status written, for counting.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Error bodies are GitHub's: {"message": ..., "documentation_url": ...}.
const docsURL = "https://docs.github.com/rest"

func writeError(w http.ResponseWriter, status int, msg string) {
	writeErrorDoc(w, status, msg, docsURL)
}

func writeErrorDoc(w http.ResponseWriter, status int, msg, doc string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg, "documentation_url": doc})
}
