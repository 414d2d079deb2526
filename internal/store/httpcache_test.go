package store

import (
	"bytes"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

func openCacheStore(t *testing.T) *Store {
	t.Helper()
	st := openTest(t, filepath.Join(t.TempDir(), "goalpost.db"))
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestCacheResponse(t *testing.T) {
	link := http.Header{"Link": {`<https://api.github.com/x?page=2>; rel="next"`}, "Content-Type": {"application/json"}}
	cases := []struct {
		name   string
		etag   string
		header http.Header
		body   []byte
		kept   bool
	}{
		{"json with pagination", `W/"abc"`, link, bytes.Repeat([]byte(`{"id":1},`), 1000), true},
		{"empty body", `"e"`, nil, []byte{}, true},
		{"largest body kept", `"big"`, link, make([]byte, MaxCachedBody), true},
		{"body too large", `"huge"`, link, make([]byte, MaxCachedBody+1), false},
		{"no etag", "", link, []byte(`[]`), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := openCacheStore(t)
			ctx := t.Context()
			// an older entry under the key: replaced, or removed when the new answer is not kept
			if err := st.CacheResponse(ctx, "github", "k", `"old"`, nil, []byte("old")); err != nil {
				t.Fatal(err)
			}
			if err := st.CacheResponse(ctx, "github", "k", tc.etag, tc.header, tc.body); err != nil {
				t.Fatal(err)
			}
			etag, h, body, ok, err := st.CachedResponse(ctx, "github", "k")
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.kept {
				t.Fatalf("kept = %v, want %v", ok, tc.kept)
			}
			if !ok {
				return
			}
			if etag != tc.etag || !bytes.Equal(body, tc.body) || body == nil || h.Get("Link") != tc.header.Get("Link") {
				t.Fatalf("got etag %q, %d bytes, header %v", etag, len(body), h)
			}
			if _, _, _, ok, _ := st.CachedResponse(ctx, "jira", "k"); ok {
				t.Fatal("entry visible under another source")
			}
		})
	}
}

func TestCachedResponseCorruptRow(t *testing.T) {
	st := openCacheStore(t)
	ctx := t.Context()
	if err := st.CacheResponse(ctx, "github", "k", `"e"`, nil, []byte("body")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.db.ExecContext(ctx, `UPDATE http_cache SET body = ?`, []byte{0}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok, err := st.CachedResponse(ctx, "github", "k"); err == nil || ok {
		t.Fatalf("corrupt row: ok %v, err %v; want an error", ok, err)
	}
}

func TestPruneResponseCache(t *testing.T) {
	st := openCacheStore(t)
	ctx := t.Context()
	save := func(key string) {
		t.Helper()
		if err := st.CacheResponse(ctx, "github", key, `"e"`, nil, []byte(key)); err != nil {
			t.Fatal(err)
		}
	}
	setUsed := func(key string, at time.Time) {
		t.Helper()
		if _, err := st.db.ExecContext(ctx, `UPDATE http_cache SET used_at = ? WHERE key = ?`, at.UnixMilli(), key); err != nil {
			t.Fatal(err)
		}
	}
	has := func(key string) bool {
		t.Helper()
		_, _, _, ok, err := st.CachedResponse(ctx, "github", key)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	save("stale")
	save("read")
	long := time.Now().Add(-CacheUnusedFor - time.Hour)
	setUsed("stale", long)
	setUsed("read", long)
	if !has("read") { // reading it a day or more after its last use marks it used again
		t.Fatal("entry missing")
	}
	st.cachePruned.Store(0) // as in a new process: the next save prunes
	save("fresh")
	if has("stale") || !has("read") || !has("fresh") {
		t.Fatalf("after the save's prune: stale %v, read %v, fresh %v; want false, true, true", has("stale"), has("read"), has("fresh"))
	}
	n, err := st.PruneResponseCache(ctx, time.Now().Add(time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("prune everything: %d removed, %v", n, err)
	}
}
