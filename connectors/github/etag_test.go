package github

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
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
