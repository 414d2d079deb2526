package github

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/pipeline/event"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestTranslateGolden decodes the payloads in testdata/webhooks (named
// <X-GitHub-Event>.<case>.json) and compares what they mean with the
// .golden files beside them.
func TestTranslateGolden(t *testing.T) {
	cfg := &Config{Token: "x", Repos: []RepoConfig{{Name: "acme/api", DeployWorkflow: "deploy.yml"}}}
	files, err := filepath.Glob("testdata/webhooks/*.json")
	must(t, err)
	for _, file := range files {
		if strings.HasSuffix(file, ".golden.json") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			payload, err := os.ReadFile(file)
			must(t, err)
			kind, _, _ := strings.Cut(name, ".")
			res, err := translate(cfg, kind, payload)
			must(t, err)
			got, err := json.MarshalIndent(map[string]any{"events": res.events, "deploys": res.deploys}, "", "  ")
			must(t, err)
			golden := strings.TrimSuffix(file, ".json") + ".golden.json"
			if *update {
				must(t, os.WriteFile(golden, append(got, '\n'), 0o644))
			}
			want, err := os.ReadFile(golden)
			must(t, err)
			if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
				t.Fatalf("%s differs (go test -run TestTranslateGolden -update):\n%s", golden, got)
			}
		})
	}
}

func TestWebhookHTTP(t *testing.T) {
	merged, err := os.ReadFile("testdata/webhooks/pull_request.closed.merged.json")
	must(t, err)
	form := []byte("payload=" + url.QueryEscape(string(merged)))
	cases := []struct {
		name       string
		method     string
		kind       string
		body       []byte
		sig        string // "" = sign the body correctly
		ctype      string
		limit      int64
		publishErr error
		want       int
		published  int
	}{
		{name: "merged PR", kind: "pull_request", body: merged, want: 200, published: 2},
		{name: "form encoded", kind: "pull_request", body: form, ctype: "application/x-www-form-urlencoded", want: 200, published: 2},
		{name: "charset in content type", kind: "pull_request", body: merged, ctype: "application/json; charset=utf-8", want: 200, published: 2},
		{name: "missing signature", kind: "pull_request", body: merged, sig: "none", want: 401},
		{name: "wrong signature", kind: "pull_request", body: merged, sig: sign("other secret", merged), want: 401},
		{name: "sha1 signature only", kind: "pull_request", body: merged, sig: "sha1=0123", want: 401},
		{name: "malformed JSON", kind: "pull_request", body: []byte(`{"action":`), want: 400},
		{name: "wrong shape", kind: "pull_request", body: []byte(`{"action":"closed","number":"twelve"}`), want: 400},
		{name: "unknown event", kind: "sponsorship", body: []byte(`{"action":"created"}`), want: 200},
		{name: "ping", kind: "ping", body: []byte(`{"zen":"Design for failure."}`), want: 200},
		{name: "publish fails", kind: "pull_request", body: merged, publishErr: errDown, want: 503},
		{name: "too large", kind: "pull_request", body: merged, limit: 100, want: 413},
		{name: "GET", method: http.MethodGet, kind: "ping", body: []byte(`{}`), want: 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.pub.setFail(tc.publishErr)
			req := httptest.NewRequest(cmpOr(tc.method, http.MethodPost), "/webhooks/github", bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", cmpOr(tc.ctype, "application/json"))
			req.Header.Set("X-GitHub-Event", tc.kind)
			req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
			switch tc.sig {
			case "":
				req.Header.Set("X-Hub-Signature-256", sign(testSecret, tc.body))
			case "none":
			default:
				req.Header.Set("X-Hub-Signature-256", tc.sig)
			}
			rec := httptest.NewRecorder()
			if tc.limit > 0 {
				req.Body = http.MaxBytesReader(rec, req.Body, tc.limit)
			}
			e.hook.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d (%s), want %d", rec.Code, rec.Body, tc.want)
			}
			if got := len(e.pub.all()); got != tc.published {
				t.Fatalf("%d events published, want %d", got, tc.published)
			}
			if strings.Contains(rec.Body.String(), testSecret) {
				t.Fatal("answer leaks the secret")
			}
		})
	}
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func TestWebhookDedupesDeliveries(t *testing.T) {
	e := newEnv(t, nil)
	payload, err := os.ReadFile("testdata/webhooks/release.published.json")
	must(t, err)
	for range 3 {
		if code := e.deliver("release", "same-guid", payload); code != 200 {
			t.Fatalf("status %d", code)
		}
	}
	if e.pub.calls != 1 {
		t.Fatalf("%d publish calls for one delivery sent three times, want 1", e.pub.calls)
	}
	if code := e.deliver("release", "other-guid", payload); code != 200 || len(e.pub.all()) != 1 {
		t.Fatalf("same fact in another delivery: status %d, %d events", code, len(e.pub.all()))
	}
}

func TestWebhookRetryAfterFailure(t *testing.T) {
	e := newEnv(t, nil)
	payload, err := os.ReadFile("testdata/webhooks/release.published.json")
	must(t, err)
	e.pub.setFail(errDown)
	if code := e.deliver("release", "g", payload); code != 503 {
		t.Fatalf("status %d, want 503", code)
	}
	e.pub.setFail(nil)
	if code := e.deliver("release", "g", payload); code != 200 || len(e.pub.kind(event.KindReleasePublished)) != 1 {
		t.Fatalf("redelivery after a failure: status %d", code)
	}
}

func TestNewWebhookFailsClosed(t *testing.T) {
	if _, err := NewWebhook(&Config{Token: "x"}, &memPublisher{}, nil); err == nil {
		t.Fatal("a webhook without a secret must not be built")
	}
}

func TestWebhookMergedPRIsAttributedOnDeploy(t *testing.T) {
	e := newEnv(t, nil)
	e.deploy("production", e.head(), "success")
	e.poll()
	n, _ := e.merge("one", "alice")
	if code := e.deliver("pull_request", "pr-1", e.prPayload("closed", n)); code != 200 {
		t.Fatalf("status %d", code)
	}
	id := e.deploy("production", e.head(), "success")
	e.fake.ResetStats()
	if code := e.deliver("deployment_status", "ds-1", e.statusPayload(id)); code != 200 {
		t.Fatalf("status %d", code)
	}
	if got := e.shippedBy(id); len(got) != 1 || got[0] != n {
		t.Fatalf("shipped %v", got)
	}
	if c := prsForCommitCalls(e); c != 0 {
		t.Fatalf("%d PRs-for-commit calls; the merged webhook indexed the PR", c)
	}
}

func TestWebhookDoesNotWaitPastItsBudget(t *testing.T) {
	e := newEnv(t, nil)
	e.polled(testRepo)
	id := e.deploy("production", e.head(), "success")
	// The poller is attributing another deploy of the same repository and
	// environment: its publish is stuck, holding the attribution lock.
	var first atomic.Bool
	entered, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	e.pub.hold = func() {
		if first.CompareAndSwap(false, true) {
			close(entered)
			<-release
		}
	}
	go func() {
		defer close(done)
		d := attribution.Deploy{Source: "github", Key: "other", Repo: testRepo, Environment: "production", SHA: e.head(), Succeeded: true, At: e.clk.now()}
		_ = e.src.Attribution().PublishSince(context.Background(), d, time.Time{})
	}()
	<-entered
	defer func() { close(release); <-done }()
	e.hook.budget = 50 * time.Millisecond
	start := time.Now()
	if code := e.deliver("deployment_status", "busy", e.statusPayload(id)); code != 503 {
		t.Fatalf("status %d, want 503 while the repository is being attributed", code)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("answered after %v", d)
	}
}

// TestSameFactSameEvent: a PR read by the poller (list schema) and received
// by webhook (full schema) gives identical events, not only identical ids.
func TestSameFactSameEvent(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Repos[0].ShipOnMerge = true })
	n, err := e.fake.AddPullRequest(testRepo, githubfake.PullRequest{
		Title: "Passkeys AUTH-9", Body: "Fixes ENG-1", Author: "alice", Labels: []string{"auth"}, HeadRef: "alice/eng-2-keys",
	})
	must(t, err)
	e.clk.add(time.Hour)
	_, err = e.fake.MergePullRequest(testRepo, n, githubfake.MergeOptions{})
	must(t, err)
	res, err := translate(e.cfg, "pull_request", e.prPayload("closed", n))
	must(t, err)
	e.poll()
	if len(res.events) != 3 {
		t.Fatalf("webhook gave %d events, want opened, merged, shipped", len(res.events))
	}
	for _, want := range res.events {
		got, ok := e.pub.get(want.ID)
		if !ok {
			t.Fatalf("poll did not produce %s", want.ID)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s differs:\npoll    %+v\nwebhook %+v", want.ID, got, want)
		}
	}
}
