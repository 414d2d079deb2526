package gitlab

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/gitlabfake"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
)

const (
	testToken   = "glpat-test-token-value"
	testSecret  = "gitlab-hook-token"
	testProject = "acme/platform/api"
)

var t0 = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)

// memPublisher stores events in memory, dropping duplicate ids like the
// stream does, and checks each is valid.
type memPublisher struct {
	mu     sync.Mutex
	events []event.Event
	ids    map[string]bool
	fail   error
}

func (p *memPublisher) Publish(_ context.Context, evs ...event.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	for _, ev := range evs {
		if err := ev.Validate(); err != nil {
			return err
		}
	}
	for _, ev := range evs {
		if !p.ids[ev.ID] {
			p.ids[ev.ID] = true
			p.events = append(p.events, ev)
		}
	}
	return nil
}

func (p *memPublisher) kind(kind string) []event.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []event.Event
	for _, ev := range p.events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// env is a GitLab fake, a store, a publisher, a source and a webhook.
type env struct {
	t     testing.TB
	fake  *gitlabfake.Fake
	srv   *httptest.Server
	now   time.Time
	pub   *memPublisher
	store *store.Store
	cfg   *Config
	src   *Source
	hook  *Webhook
	head  string // the default branch's head
	iid   int64
}

func newEnv(t testing.TB, mod func(*Config)) *env {
	t.Helper()
	e := &env{t: t, now: t0, pub: &memPublisher{ids: map[string]bool{}}}
	e.fake = gitlabfake.New(testToken, func() time.Time { return e.now })
	e.srv = e.fake.Server()
	t.Cleanup(e.srv.Close)
	e.fake.AddProject(testProject, "main")
	e.head = e.fake.AddCommit(testProject, "initial", t0.Add(-48*time.Hour))
	e.cfg = &Config{
		BaseURL: e.srv.URL + "/api/v4", Token: testToken, WebhookSecret: testSecret,
		Projects: []ProjectConfig{{Path: testProject}}, RequestsPerSecond: 1000,
	}
	if mod != nil {
		mod(e.cfg)
	}
	must(t, e.cfg.Validate())
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "goalpost.db"), slog.New(slog.DiscardHandler))
	must(t, err)
	t.Cleanup(func() { _ = st.Close() })
	e.store = st
	e.src = e.newSource()
	e.hook, err = NewWebhook(e.cfg, e.pub, nil, WithSource(e.src))
	must(t, err)
	return e
}

func (e *env) clock() time.Time { return e.now }

func (e *env) newSource() *Source {
	noSleep := func(ctx context.Context, d time.Duration) error { e.now = e.now.Add(d); return ctx.Err() }
	c, err := NewClient(e.cfg, nil, WithClock(e.clock), WithSleep(noSleep))
	must(e.t, err)
	src, err := NewSource(e.cfg, e.pub, e.store, nil, WithAPIClient(c), WithSourceClock(e.clock))
	must(e.t, err)
	return src
}

func (e *env) poll() {
	e.t.Helper()
	must(e.t, e.src.PollOnce(context.Background()))
}

// merge adds a branch commit and lands it on main as a merge commit (or a
// squash commit), as merge request iid; it returns the iid.
func (e *env) merge(title string, squash bool) int64 {
	e.iid++
	e.now = e.now.Add(10 * time.Minute)
	branch := e.fake.AddCommit(testProject, title+" (branch)", e.now.Add(-time.Minute), e.head)
	mr := gitlabfake.MR{
		IID: e.iid, Title: title, Author: "alice", SourceBranch: fmt.Sprintf("feature-%d", e.iid), TargetBranch: "main",
		State: "merged", CreatedAt: e.now.Add(-time.Hour), MergedAt: e.now, HeadSHA: branch, Commits: []string{branch},
	}
	if squash {
		e.head = e.fake.AddCommit(testProject, title, e.now, e.head)
		mr.SquashSHA = e.head
	} else {
		e.head = e.fake.AddCommit(testProject, "Merge branch "+mr.SourceBranch, e.now, e.head, branch)
		mr.MergeSHA = e.head
	}
	e.fake.AddMR(testProject, mr)
	return e.iid
}

// deploy records a finished production deployment of sha.
func (e *env) deploy(id int64, sha, status string) {
	e.now = e.now.Add(5 * time.Minute)
	e.fake.AddDeployment(testProject, gitlabfake.Deployment{
		ID: id, Environment: "production", SHA: sha, Ref: "main", Status: status, CreatedAt: e.now.Add(-time.Minute),
		UpdatedAt: e.now, User: "deployer",
	})
}

// shippedBy lists the iids deployment id shipped, from its event.
func (e *env) shippedBy(id int64) []int {
	e.t.Helper()
	for _, ev := range e.pub.kind(event.KindDeploymentSucceeded) {
		if ev.Attrs["deployment_id"] == fmt.Sprint(id) {
			var out []int
			for _, s := range ev.Shipped {
				out = append(out, s.Number)
			}
			slices.Sort(out)
			return out
		}
	}
	e.t.Fatalf("no deployment.succeeded for deployment %d", id)
	return nil
}

// deliver posts a webhook delivery with the secret token.
func (e *env) deliver(kind, uuid string, payload []byte) int {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/gitlab", bytes.NewReader(payload))
	req.Header.Set("X-Gitlab-Token", testSecret)
	req.Header.Set("X-Gitlab-Event", kind)
	if uuid != "" {
		req.Header.Set("Idempotency-Key", uuid)
	}
	rec := httptest.NewRecorder()
	e.hook.ServeHTTP(rec, req)
	return rec.Code
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
