package githubfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const token = "t0ken"

var t0 = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newFake(t *testing.T, opts ...Option) (*Fake, *httptest.Server, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	f := New(append([]Option{WithToken(token), WithClock(clk.now)}, opts...)...)
	srv := f.Server()
	t.Cleanup(srv.Close)
	must(t, f.AddRepo("acme/api", "main"))
	return f, srv, clk
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func must1[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		must(t, err)
		return v
	}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func get(t *testing.T, srv *httptest.Server, path string, hdr ...string) answer {
	t.Helper()
	return do(t, srv, http.MethodGet, path, append([]string{"Authorization", "Bearer " + token}, hdr...)...)
}

func do(t *testing.T, srv *httptest.Server, method, path string, hdr ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	must(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := srv.Client().Do(req)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return answer{resp.StatusCode, resp.Header, body}
}

func decodeList(t *testing.T, a answer) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(a.body, &out); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
	return out
}

func TestAuth(t *testing.T) {
	_, srv, _ := newFake(t)
	cases := []struct {
		name   string
		header string
		want   int
		msg    string
	}{
		{"missing", "", 401, "Requires authentication"},
		{"wrong token", "Bearer nope", 401, "Bad credentials"},
		{"bearer", "Bearer " + token, 200, ""},
		{"token scheme", "token " + token, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.header != "" {
				hdr = []string{"Authorization", tc.header}
			}
			a := do(t, srv, http.MethodGet, "/repos/acme/api", hdr...)
			if a.status != tc.want {
				t.Fatalf("status %d, want %d", a.status, tc.want)
			}
			if tc.msg != "" && !strings.Contains(string(a.body), `"message":"`+tc.msg+`"`) ||
				tc.msg != "" && !strings.Contains(string(a.body), "documentation_url") {
				t.Fatalf("body %s, want GitHub's error with %q", a.body, tc.msg)
			}
		})
	}
}

func TestPaginationLinks(t *testing.T) {
	f, srv, clk := newFake(t)
	for i := range 250 {
		clk.add(time.Minute)
		must1[int](t)(f.AddPullRequest("acme/api", PullRequest{Title: fmt.Sprint("pr ", i), Author: "alice"}))
	}
	cases := []struct {
		name     string
		query    string
		n        int
		first    float64
		rels     []string
		noRelsOf []string
	}{
		{"default 30", "?state=all", 30, 250, []string{`rel="next"`, `rel="last"`}, []string{`rel="prev"`}},
		{"capped at 100", "?state=all&per_page=500", 100, 250, []string{"page=2&per_page=100", `rel="next"`}, nil},
		{"last page", "?state=all&per_page=100&page=3", 50, 50, []string{`rel="prev"`, `rel="first"`}, []string{`rel="next"`}},
		{"ascending", "?state=all&per_page=10&direction=asc", 10, 1, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := get(t, srv, "/repos/acme/api/pulls"+tc.query)
			list := decodeList(t, a)
			if len(list) != tc.n || list[0]["number"] != tc.first {
				t.Fatalf("got %d items starting at #%v, want %d from #%v", len(list), list[0]["number"], tc.n, tc.first)
			}
			link := a.header.Get("Link")
			for _, r := range tc.rels {
				if !strings.Contains(link, r) {
					t.Errorf("Link %q lacks %s", link, r)
				}
			}
			for _, r := range tc.noRelsOf {
				if strings.Contains(link, r) {
					t.Errorf("Link %q has %s", link, r)
				}
			}
			if _, has := list[0]["merged"]; has {
				t.Error("list items must not carry merged (pull-request-simple schema)")
			}
		})
	}
}

func TestETagAndCounting(t *testing.T) {
	f, srv, _ := newFake(t)
	a := get(t, srv, "/repos/acme/api/deployments")
	etag := a.header.Get("ETag")
	if a.status != 200 || etag == "" {
		t.Fatalf("status %d etag %q", a.status, etag)
	}
	b := get(t, srv, "/repos/acme/api/deployments", "If-None-Match", etag)
	if b.status != 304 || len(b.body) != 0 {
		t.Fatalf("conditional GET: status %d body %q, want 304 without body", b.status, b.body)
	}
	if a.header.Get("X-RateLimit-Remaining") != "4999" || b.header.Get("X-RateLimit-Remaining") != "4999" {
		t.Fatalf("remaining %s then %s: a 304 must not use quota", a.header.Get("X-RateLimit-Remaining"), b.header.Get("X-RateLimit-Remaining"))
	}
	must1[int64](t)(f.AddDeployment("acme/api", Deployment{SHA: "main"}))
	if c := get(t, srv, "/repos/acme/api/deployments", "If-None-Match", etag); c.status != 200 {
		t.Fatalf("after a change: status %d, want 200", c.status)
	}
	st := f.Stats()
	p := st.Paths["/repos/acme/api/deployments"]
	if st.Total != 3 || st.NotModified != 1 || p.Total != 3 || p.NotModified != 1 {
		t.Fatalf("stats %+v", st)
	}
	f.ResetStats()
	if f.Stats().Total != 0 {
		t.Fatal("ResetStats kept counts")
	}
}

func TestInjectedRateLimits(t *testing.T) {
	cases := []struct {
		kind       RateLimitKind
		status     int
		retryAfter string
		remaining  string
		doc        string
	}{
		{Primary, 403, "", "0", "primary-rate-limits"},
		{Primary429, 429, "", "0", "primary-rate-limits"},
		{Secondary, 403, "7", "4998", "secondary-rate-limits"},
		{SecondaryNoRetryAfter, 403, "", "4998", "secondary-rate-limits"},
		{TooManyRequests, 429, "7", "4998", "secondary-rate-limits"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.kind), func(t *testing.T) {
			f, srv, _ := newFake(t)
			get(t, srv, "/repos/acme/api") // use one request of quota
			f.InjectRateLimit(RateLimitResponse{Kind: tc.kind, PathPrefix: "/repos/acme/api/pulls", RetryAfter: 7 * time.Second, ResetIn: time.Minute})
			if a := get(t, srv, "/repos/acme/api"); a.status != 200 {
				t.Fatalf("other path limited: %d", a.status)
			}
			a := get(t, srv, "/repos/acme/api/pulls")
			if a.status != tc.status || a.header.Get("Retry-After") != tc.retryAfter || a.header.Get("X-RateLimit-Remaining") != tc.remaining {
				t.Fatalf("got %d Retry-After %q Remaining %q", a.status, a.header.Get("Retry-After"), a.header.Get("X-RateLimit-Remaining"))
			}
			if !strings.Contains(string(a.body), tc.doc) {
				t.Fatalf("body %s lacks %s", a.body, tc.doc)
			}
			if tc.remaining == "0" && a.header.Get("X-RateLimit-Reset") != fmt.Sprint(t0.Add(time.Minute).Unix()) {
				t.Fatalf("reset %s", a.header.Get("X-RateLimit-Reset"))
			}
			if b := get(t, srv, "/repos/acme/api/pulls"); b.status != 200 {
				t.Fatalf("second request still limited: %d", b.status)
			}
			if f.Stats().RateLimited != 1 {
				t.Fatalf("rate limited count %d", f.Stats().RateLimited)
			}
		})
	}
}

func TestPrimaryQuota(t *testing.T) {
	f, srv, clk := newFake(t, WithRateLimit(3))
	for range 3 {
		if a := get(t, srv, "/repos/acme/api"); a.status != 200 {
			t.Fatalf("status %d", a.status)
		}
	}
	a := get(t, srv, "/repos/acme/api")
	if a.status != 403 || a.header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("over quota: %d remaining %s", a.status, a.header.Get("X-RateLimit-Remaining"))
	}
	clk.add(time.Hour)
	if a := get(t, srv, "/repos/acme/api"); a.status != 200 || a.header.Get("X-RateLimit-Remaining") != "2" {
		t.Fatalf("after reset: %d remaining %s", a.status, a.header.Get("X-RateLimit-Remaining"))
	}
	_ = f
}

func TestGHESPrefix(t *testing.T) {
	_, srv, _ := newFake(t)
	a := get(t, srv, "/api/v3/repos/acme/api/pulls?state=all&per_page=1")
	if a.status != 200 {
		t.Fatalf("status %d", a.status)
	}
}

func TestConcurrentSeedingAndServing(t *testing.T) {
	f, srv, _ := newFake(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				n, err := f.AddPullRequest("acme/api", PullRequest{Title: fmt.Sprint(i, j), Author: "bob"})
				if err == nil {
					_, err = f.MergePullRequest("acme/api", n, MergeOptions{})
				}
				if err != nil {
					t.Error(err)
				}
				get(t, srv, "/repos/acme/api/pulls?state=all")
			}
		})
	}
	wg.Wait()
	if got := decodeList(t, get(t, srv, "/repos/acme/api/pulls?state=closed&per_page=100&page=2")); len(got) != 60 {
		t.Fatalf("page 2 has %d closed PRs, want 60", len(got))
	}
}

func TestSeedingErrors(t *testing.T) {
	f, _, _ := newFake(t)
	cases := []struct {
		name string
		err  error
	}{
		{"unknown repo", f.AddRepo("bad", "")},
		{"duplicate repo", f.AddRepo("acme/api", "main")},
		{"unknown pr", f.ClosePullRequest("acme/api", 99, time.Time{})},
		{"bad state", func() error {
			_, err := f.AddDeploymentStatus("acme/api", 1, DeploymentStatus{State: "done"})
			return err
		}()},
		{"no tag", func() error { _, err := f.AddRelease("acme/api", Release{}); return err }()},
		{"unknown commit", func() error { _, err := f.AddDeployment("acme/api", Deployment{SHA: "deadbeefdead"}); return err }()},
	}
	for _, tc := range cases {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
