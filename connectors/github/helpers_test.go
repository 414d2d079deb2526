package github

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
)

const (
	testToken  = "ghp_test_token_value"
	testSecret = "It's a Secret to Everybody"
	testRepo   = "acme/api"
)

var t0 = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)

// clock is a fake clock; sleeping advances it.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	c.mu.Unlock()
	return nil
}

func (c *clock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

// memPublisher stores events in memory, dropping duplicate ids like the
// stream does, and checks each is valid. fail makes Publish fail.
type memPublisher struct {
	mu     sync.Mutex
	events []event.Event
	ids    map[string]bool
	fail   error
	calls  int
	hold   func() // if set, called first by every Publish (set it before any goroutine publishes)
}

func (p *memPublisher) Publish(_ context.Context, evs ...event.Event) error {
	if p.hold != nil {
		p.hold()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
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

func (p *memPublisher) setFail(err error) {
	p.mu.Lock()
	p.fail = err
	p.mu.Unlock()
}

func (p *memPublisher) all() []event.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.events)
}

func (p *memPublisher) kind(kind string) []event.Event {
	var out []event.Event
	for _, ev := range p.all() {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func (p *memPublisher) get(id string) (event.Event, bool) {
	for _, ev := range p.all() {
		if ev.ID == id {
			return ev, true
		}
	}
	return event.Event{}, false
}

// env is a GitHub fake, a store, a publisher, a source and a webhook.
type env struct {
	t     testing.TB
	fake  *githubfake.Fake
	srv   *httptest.Server
	clk   *clock
	pub   *memPublisher
	store *store.Store
	cfg   *Config
	src   *Source
	hook  *Webhook
}

func newEnv(t testing.TB, mod func(*Config), fakeOpts ...githubfake.Option) *env {
	t.Helper()
	clk := &clock{t: t0}
	fake := githubfake.New(append([]githubfake.Option{githubfake.WithToken(testToken), githubfake.WithClock(clk.now)}, fakeOpts...)...)
	srv := fake.Server()
	t.Cleanup(srv.Close)
	must(t, fake.AddRepo(testRepo, "main"))
	cfg := &Config{
		BaseURL: srv.URL + "/", Token: testToken, WebhookSecret: testSecret,
		Repos:             []RepoConfig{{Name: testRepo}},
		RequestsPerSecond: new(float64), // 0: no spacing (the token bucket runs on real time)

	}
	if mod != nil {
		mod(cfg)
	}
	must(t, cfg.Validate())
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "goalpost.db"), slog.New(slog.DiscardHandler))
	must(t, err)
	t.Cleanup(func() { _ = st.Close() })
	e := &env{t: t, fake: fake, srv: srv, clk: clk, pub: &memPublisher{ids: map[string]bool{}}, store: st, cfg: cfg}
	e.src = e.newSource()
	e.hook, err = NewWebhook(cfg, e.pub, testLog(t), WithSource(e.src))
	must(t, err)
	return e
}

// newSource builds another source on the same fake, store and publisher
// (a restarted goalpost).
func (e *env) newSource(opts ...SourceOption) *Source {
	c, err := NewClient(e.cfg, e.srv.Client(), WithClock(e.clk.now), WithSleep(e.clk.sleep))
	must(e.t, err)
	src, err := NewSource(e.cfg, e.pub, e.store, testLog(e.t), append([]SourceOption{WithAPIClient(c), WithSourceClock(e.clk.now)}, opts...)...)
	must(e.t, err)
	return src
}

func testLog(testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// polled records that a poll has read repo's deploys once, as the webhook
// waits for before it attributes a deploy itself.
func (e *env) polled(repo string) {
	e.t.Helper()
	for _, key := range []string{"deployments:", "runs:"} {
		must(e.t, e.store.SetCursor(context.Background(), "github", key+repo, `{"init":true}`))
	}
}

func (e *env) poll() {
	e.t.Helper()
	if err := e.src.PollOnce(context.Background()); err != nil {
		e.t.Fatalf("poll: %v", err)
	}
}

// merge opens and squash-merges a PR a minute later; it returns the number
// and the merge commit.
func (e *env) merge(title, author string) (int, string) {
	return e.mergeWith(title, author, githubfake.MergeOptions{})
}

func (e *env) mergeWith(title, author string, opt githubfake.MergeOptions) (int, string) {
	e.t.Helper()
	n, err := e.fake.AddPullRequest(testRepo, githubfake.PullRequest{Title: title, Author: author, Commits: 2, Labels: []string{"team-a"}})
	must(e.t, err)
	e.clk.add(time.Minute)
	sha, err := e.fake.MergePullRequest(testRepo, n, opt)
	must(e.t, err)
	e.clk.add(time.Minute)
	return n, sha
}

// deploy creates a deployment of sha to environment with the given states,
// a minute apart, and returns its id.
func (e *env) deploy(environment, sha string, states ...string) int64 {
	e.t.Helper()
	id, err := e.fake.AddDeployment(testRepo, githubfake.Deployment{SHA: sha, Environment: environment, Creator: "deployer"})
	must(e.t, err)
	for _, s := range states {
		e.clk.add(time.Minute)
		_, err := e.fake.AddDeploymentStatus(testRepo, id, githubfake.DeploymentStatus{State: s, LogURL: "https://ci.example.com/run"})
		must(e.t, err)
	}
	e.clk.add(time.Minute)
	return id
}

func (e *env) head() string {
	sha, err := e.fake.DefaultBranchHead(testRepo)
	must(e.t, err)
	return sha
}

// shippedBy returns the PR numbers the deploy event says it shipped.
func (e *env) shippedBy(id int64) []int {
	e.t.Helper()
	ev, ok := e.pub.get(fmt.Sprintf("github:deploy:%s:%d:succeeded", testRepo, id))
	if !ok {
		e.t.Fatalf("no deployment.succeeded for deployment %d", id)
	}
	var out []int
	for _, s := range ev.Shipped {
		out = append(out, s.Number)
	}
	return out
}

// deliver posts a signed webhook delivery and returns the status code.
func (e *env) deliver(kind, delivery string, payload []byte) int {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/github", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", kind)
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", sign(testSecret, payload))
	rec := httptest.NewRecorder()
	e.hook.ServeHTTP(rec, req)
	return rec.Code
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var errDown = errors.New("stream unavailable")

// apiGet reads a path from the fake as GitHub would serve it.
func (e *env) apiGet(path string) json.RawMessage {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	must(e.t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := e.srv.Client().Do(req)
	must(e.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(e.t, err)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return body
}

// repoJSON is the repository object of webhook payloads.
func (e *env) repoJSON() json.RawMessage { return e.apiGet("/repos/" + testRepo) }

// statusPayload is the deployment_status delivery GitHub sends for the
// newest status of a deployment.
func (e *env) statusPayload(id int64) []byte {
	e.t.Helper()
	var statuses []json.RawMessage
	must(e.t, json.Unmarshal(e.apiGet(fmt.Sprintf("/repos/%s/deployments/%d/statuses", testRepo, id)), &statuses))
	var deployments []map[string]json.RawMessage
	must(e.t, json.Unmarshal(e.apiGet("/repos/"+testRepo+"/deployments"), &deployments))
	for _, d := range deployments {
		if string(d["id"]) == strconv.FormatInt(id, 10) {
			b, err := json.Marshal(map[string]any{
				"action": "created", "deployment_status": statuses[0], "deployment": d, "repository": e.repoJSON(),
			})
			must(e.t, err)
			return b
		}
	}
	e.t.Fatalf("deployment %d not found", id)
	return nil
}

// prPayload is the pull_request delivery for action on PR n.
func (e *env) prPayload(action string, n int) []byte {
	e.t.Helper()
	b, err := json.Marshal(map[string]any{
		"action": action, "number": n, "repository": e.repoJSON(),
		"pull_request": e.apiGet(fmt.Sprintf("/repos/%s/pulls/%d", testRepo, n)),
	})
	must(e.t, err)
	return b
}

func (e *env) requests(prefix string) (total, notModified int) {
	for p, s := range e.fake.Stats().Paths {
		if strings.HasPrefix(p, prefix) {
			total += s.Total
			notModified += s.NotModified
		}
	}
	return total, notModified
}
