package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/secret"
)

func TestETagCache(t *testing.T) {
	var hits, notModified int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		etag := `"v-` + r.URL.Path + `"`
		w.Header().Set("ETag", etag)
		w.Header().Set("Link", `<x?page=2>; rel="next"`)
		w.Header().Set("X-RateLimit-Remaining", fmt.Sprint(100-hits))
		if r.Header.Get("If-None-Match") == etag {
			notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "body of "+r.URL.Path)
	}))
	defer srv.Close()
	c := newETagCache(http.DefaultTransport)
	get := func(path string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		resp, err := c.RoundTrip(req)
		must(t, err)
		return resp
	}
	read := func(r *http.Response) string { b, _ := io.ReadAll(r.Body); r.Body.Close(); return string(b) }
	first := get("/a")
	if read(first) != "body of /a" || first.Header.Get("X-From-Cache") != "" {
		t.Fatal("first answer")
	}
	second := get("/a")
	if second.StatusCode != 200 || read(second) != "body of /a" || second.Header.Get("X-From-Cache") != "1" ||
		second.Header.Get("Link") == "" || second.Header.Get("X-Ratelimit-Remaining") != "98" {
		t.Fatalf("cached answer: %d %v", second.StatusCode, second.Header)
	}
	if notModified != 1 || c.notModified.Load() != 1 {
		t.Fatalf("%d 304s", notModified)
	}
	for i := range etagMaxEntries + 1 {
		read(get(fmt.Sprint("/n", i)))
	}
	if c.lru.Len() != etagMaxEntries {
		t.Fatalf("cache holds %d entries, bound is %d", c.lru.Len(), etagMaxEntries)
	}
	if read(get("/a")); notModified != 1 {
		t.Fatal("evicted entry still answered from cache")
	}
}

// memETagStore is an ETagStore in memory; its flags make it fail or lose
// bodies.
type memETagStore struct {
	mu         sync.Mutex
	entries    map[string]memETagEntry
	failRead   bool
	failWrite  bool
	dropBodies bool // answer entries without their body
	saves      int
}

type memETagEntry struct {
	etag   string
	header http.Header
	body   []byte
}

var errStore = errors.New("database is locked")

func (m *memETagStore) CachedResponse(_ context.Context, source, key string) (string, http.Header, []byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failRead {
		return "", nil, nil, false, errStore
	}
	e, ok := m.entries[source+"|"+key]
	if m.dropBodies {
		e.body = nil
	}
	return e.etag, e.header, e.body, ok, nil
}

func (m *memETagStore) CacheResponse(_ context.Context, source, key, etag string, header http.Header, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWrite {
		return errStore
	}
	m.saves++
	if m.entries == nil {
		m.entries = map[string]memETagEntry{}
	}
	m.entries[source+"|"+key] = memETagEntry{etag, header.Clone(), bytes.Clone(body)}
	return nil
}

func (m *memETagStore) ForgetCachedResponse(_ context.Context, source, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, source+"|"+key)
	return nil
}

func (m *memETagStore) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Collect(maps.Keys(m.entries))
}

// TestETagCacheStore runs two caches one after the other (two processes)
// on one ETagStore: the second asks with the first one's ETag.
func TestETagCacheStore(t *testing.T) {
	cases := []struct {
		name         string
		setup        func(*memETagStore)
		otherToken   bool
		wantRequests []string // what the second cache sent: "INM" (If-None-Match) or "plain"
		want304      int64    // 304s the second cache answered from the store
		wantErrors   int64    // store errors counted by both caches
	}{
		{name: "answered from the store", wantRequests: []string{"INM"}, want304: 1},
		{name: "body missing in the store", setup: func(m *memETagStore) { m.dropBodies = true },
			wantRequests: []string{"INM", "plain"}},
		{name: "store read fails", setup: func(m *memETagStore) { m.failRead = true },
			wantRequests: []string{"plain"}, wantErrors: 2},
		{name: "store write fails", setup: func(m *memETagStore) { m.failWrite = true },
			wantRequests: []string{"plain"}, wantErrors: 2},
		{name: "another token", otherToken: true, wantRequests: []string{"plain"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var sent []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				kind := "plain"
				if r.Header.Get("If-None-Match") != "" {
					kind = "INM"
				}
				mu.Lock()
				sent = append(sent, kind)
				mu.Unlock()
				w.Header().Set("ETag", `W/"v1"`)
				w.Header().Set("Link", `<x?page=2>; rel="next"`)
				w.Header().Set("X-RateLimit-Remaining", "4999")
				if r.Header.Get("If-None-Match") == `W/"v1"` {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				fmt.Fprint(w, `[{"id":1}]`)
			}))
			defer srv.Close()
			st := &memETagStore{}
			if tc.setup != nil {
				tc.setup(st)
			}
			cache := func(token string) *etagCache {
				c := newETagCache(http.DefaultTransport)
				c.persistTo(st, cacheIdentity(&Config{Token: secret.String(token)}))
				return c
			}
			get := func(c *etagCache) *http.Response {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/repos/acme/api/pulls", nil)
				req.Header.Set("Accept", "application/vnd.github.v3+json")
				resp, err := c.RoundTrip(req)
				must(t, err)
				return resp
			}
			first := cache(testToken)
			readBody(t, get(first))
			second := cache(testToken)
			if tc.otherToken {
				second = cache("ghp_another_token")
			}
			mu.Lock()
			sent = nil
			mu.Unlock()
			resp := get(second)
			if body := readBody(t, resp); resp.StatusCode != http.StatusOK || body != `[{"id":1}]` || resp.Header.Get("Link") == "" {
				t.Fatalf("second process got %d %q %v", resp.StatusCode, body, resp.Header)
			}
			if !slices.Equal(sent, tc.wantRequests) {
				t.Errorf("second process sent %v, want %v", sent, tc.wantRequests)
			}
			if n := second.notModified.Load(); n != tc.want304 {
				t.Errorf("second process answered %d 304s from the store, want %d", n, tc.want304)
			}
			if n := first.storeErrors.Load() + second.storeErrors.Load(); n != tc.wantErrors {
				t.Errorf("%d store errors, want %d", n, tc.wantErrors)
			}
			for _, k := range st.keys() {
				if strings.Contains(k, testToken) {
					t.Fatalf("store key %q holds the token", k)
				}
			}
		})
	}
}

// TestETagCacheUnanswerable304: a 304 for which the cache has no body is
// asked again without If-None-Match instead of reaching go-github.
func TestETagCacheUnanswerable304(t *testing.T) {
	var sent []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent = append(sent, r.Header.Get("If-None-Match"))
		w.Header().Set("ETag", `"v1"`)
		if len(sent) == 1 {
			w.WriteHeader(http.StatusNotModified) // e.g. a proxy's answer for an entry we no longer have
			return
		}
		fmt.Fprint(w, "body")
	}))
	defer srv.Close()
	c := newETagCache(http.DefaultTransport)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/a", nil)
	resp, err := c.RoundTrip(req)
	must(t, err)
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK || body != "body" || len(sent) != 2 || sent[1] != "" {
		t.Fatalf("got %d %q after requests with If-None-Match %q", resp.StatusCode, body, sent)
	}
}

func TestCacheIdentity(t *testing.T) {
	cases := []struct {
		name string
		a, b Config
		same bool
	}{
		{"same token", Config{Token: testToken}, Config{Token: testToken}, true},
		{"other token", Config{Token: testToken}, Config{Token: "ghp_other"}, false},
		{"same installation", Config{App: AppConfig{ID: 1, InstallationID: 2}}, Config{App: AppConfig{ID: 1, InstallationID: 2, PrivateKeyFile: "k.pem"}}, true},
		{"other installation", Config{App: AppConfig{ID: 1, InstallationID: 2}}, Config{App: AppConfig{ID: 1, InstallationID: 3}}, false},
		{"token or app", Config{Token: "app:1/2"}, Config{App: AppConfig{ID: 1, InstallationID: 2}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := cacheIdentity(&tc.a), cacheIdentity(&tc.b)
			if (a == b) != tc.same {
				t.Fatalf("identities %s and %s: same = %v, want %v", a, b, a == b, tc.same)
			}
			if strings.Contains(a, testToken) || len(a) != 32 {
				t.Fatalf("identity %q", a)
			}
		})
	}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	must(t, resp.Body.Close())
	return string(b)
}

// TestETagCacheRefreshesStore: an entry answering 304s from memory is saved
// again once a day, so the store sees it used and does not prune it.
func TestETagCacheRefreshesStore(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "body")
	}))
	defer srv.Close()
	clk := &clock{t: t0}
	st := &memETagStore{}
	c := newETagCache(http.DefaultTransport)
	c.now = clk.now
	c.persistTo(st, cacheIdentity(&Config{Token: testToken}))
	cases := []struct {
		name      string
		advance   time.Duration
		wantSaves int
	}{
		{"first answer saved", 0, 1},
		{"304 an hour later", time.Hour, 1},
		{"304 a day later", etagRefreshEvery, 2},
		{"304 right after", time.Minute, 2},
	}
	for _, tc := range cases {
		clk.add(tc.advance)
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/a", nil)
		resp, err := c.RoundTrip(req)
		must(t, err)
		if body := readBody(t, resp); body != "body" || st.saves != tc.wantSaves {
			t.Fatalf("%s: body %q, %d saves; want %d", tc.name, body, st.saves, tc.wantSaves)
		}
	}
}

func TestWithETagStoreNeedsBuiltClient(t *testing.T) {
	cfg := &Config{Token: testToken, Repos: []RepoConfig{{Name: testRepo}}}
	c, err := NewClient(cfg, nil)
	must(t, err)
	pub := &memPublisher{ids: map[string]bool{}}
	if _, err := NewSource(cfg, pub, noCursors{}, nil, WithAPIClient(c), WithETagStore(&memETagStore{})); err == nil {
		t.Fatal("WithETagStore with WithAPIClient accepted; the store would be ignored")
	}
	if _, err := NewSource(cfg, pub, noCursors{}, nil, WithETagStore(&memETagStore{})); err != nil {
		t.Fatal(err)
	}
}

type noCursors struct{}

func (noCursors) Cursor(context.Context, string, string) (string, error)  { return "", nil }
func (noCursors) SetCursor(context.Context, string, string, string) error { return nil }
