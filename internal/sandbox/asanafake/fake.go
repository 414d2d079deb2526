// Package asanafake is an in-memory Asana REST API for tests and the
// sandbox: the token's user and workspace with its projects and users, tasks
// of projects (GET /tasks with project, modified_since and
// offset pagination; GET /tasks/{gid}), goals (setMetric,
// setMetricCurrentValue, status updates), and webhooks with the
// X-Hook-Secret handshake and X-Hook-Signature on deliveries. Like Asana it
// wraps answers in {"data": …}, errors in {"errors": [{"message"}]},
// answers 401 without the bearer token and 429 with Retry-After when told
// to, and can be taken down (503) to simulate an outage.
package asanafake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Task is a task as the fake keeps it.
type Task struct {
	GID         string
	Name        string
	Project     string // project gid
	ProjectName string
	Section     string
	Tags        []string
	Assignee    string // email
	CreatedBy   string // email
	CreatedAt   time.Time
	ModifiedAt  time.Time
	Completed   bool
	CompletedAt time.Time
	Numbers     map[string]float64 // numeric custom fields by name
	deleted     bool
}

// Goal is a goal as the fake keeps it.
type Goal struct {
	GID           string
	HasMetric     bool
	Initial       float64
	Target        float64
	Current       float64
	Unit          string
	StatusUpdates []StatusUpdate
}

// StatusUpdate is one status update posted on a goal.
type StatusUpdate struct {
	GID, StatusType, Title, Text string
}

type webhook struct {
	gid, resource, target, secret string
	inactive                      bool
}

// Webhook is a webhook as Webhooks lists it.
type Webhook struct {
	GID, Resource, Target string
	Active                bool
}

// Fake is the fake service; it is an http.Handler and safe for concurrent
// use.
type Fake struct {
	token string
	now   func() time.Time
	mux   *http.ServeMux

	mu       sync.Mutex
	tasks    map[string]*Task
	goals    map[string]*Goal
	hooks    []webhook
	nextGID  int
	limited  int
	retry    time.Duration
	down     bool
	requests map[string]int // "METHOD /path" → count
	client   *http.Client
}

// Option configures a Fake.
type Option func(*Fake)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(f *Fake) { f.now = now } }

// WithHTTPClient sets the client webhook handshakes and deliveries use.
func WithHTTPClient(c *http.Client) Option { return func(f *Fake) { f.client = c } }

// New returns a fake accepting token.
func New(token string, opts ...Option) *Fake {
	f := &Fake{token: token, now: time.Now, tasks: map[string]*Task{}, goals: map[string]*Goal{},
		nextGID: 1200000000000000, requests: map[string]int{}, client: http.DefaultClient}
	for _, o := range opts {
		o(f)
	}
	f.routes()
	return f
}

func (f *Fake) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /tasks", f.listTasks)
	m.HandleFunc("GET /tasks/{gid}", f.getTask)
	m.HandleFunc("GET /goals/{gid}", f.getGoal)
	m.HandleFunc("POST /goals/{gid}/setMetric", f.setMetric)
	m.HandleFunc("POST /goals/{gid}/setMetricCurrentValue", f.setMetricCurrent)
	m.HandleFunc("POST /status_updates", f.postStatus)
	m.HandleFunc("POST /webhooks", f.createWebhook)
	m.HandleFunc("GET /webhooks", f.listWebhooks)
	m.HandleFunc("DELETE /webhooks/{gid}", f.deleteWebhook)
	m.HandleFunc("POST /batch", f.batch)
	f.workspaceRoutes(m)
	f.mux = m
}

// ServeHTTP checks the token, the outage and rate-limit switches, then
// routes.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests[r.Method+" "+r.URL.Path]++
	down, limited := f.down, f.limited > 0
	if limited {
		f.limited--
	}
	retry := f.retry
	f.mu.Unlock()
	switch {
	case r.Header.Get("Authorization") != "Bearer "+f.token:
		fail(w, http.StatusUnauthorized, "Not Authorized")
	case down:
		fail(w, http.StatusServiceUnavailable, "Service Unavailable")
	case limited:
		w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())))
		fail(w, http.StatusTooManyRequests, "You have made too many requests recently. Please, be chill.")
	default:
		f.mux.ServeHTTP(w, r)
	}
}

// RateLimitNext answers the next n requests 429 with Retry-After.
func (f *Fake) RateLimitNext(n int, retryAfter time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limited, f.retry = n, retryAfter
}

// SetDown starts (true) or ends an outage: every request answers 503.
func (f *Fake) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// Requests counts the requests of "METHOD /path".
func (f *Fake) Requests(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[key]
}

func (f *Fake) gid() string {
	f.nextGID++
	return strconv.Itoa(f.nextGID)
}

func fail(w http.ResponseWriter, status int, msg string) {
	e := map[string]any{"message": msg, "help": "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors"}
	if status >= 500 {
		e["phrase"] = "6 sad squid snuggle softly"
	}
	writeJSON(w, status, map[string]any{"errors": []any{e}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func errorf(format string, a ...any) error { return fmt.Errorf("asanafake: "+format, a...) }
