package github

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// Cache bounds: entries are first pages of listings and single objects, so
// a few thousand cover hundreds of repositories.
const (
	etagMaxEntries = 4096
	etagMaxBody    = 4 << 20
	// etagRefreshEvery spaces the re-saves of an entry that keeps answering
	// 304s from memory, so the store sees it used and does not prune it.
	etagRefreshEvery = 24 * time.Hour
)

// ETagStore keeps the conditional-request cache across processes, so that a
// new process (`goalpost sync --once` from cron) sends If-None-Match too
// (*store.Store satisfies it). An entry is the last 200 answer to a GET: its
// ETag, the headers needed to replay it (Link, Content-Type, ...) and its
// body. Keys are chosen by the cache and never contain a credential: they
// are "<identity> <url> <accept> <api version>", where identity is a hash of
// the token (or of the App installation).
//
// Calls block on the store's I/O (for SQLite, up to its busy timeout); the
// cache makes them with the request's context, outside its own lock, from
// every goroutine that makes requests, so implementations must be safe for
// concurrent use. An error never fails a request: the cache logs it, counts
// it (ClientStats.StoreErrors) and goes on as if the entry were missing.
type ETagStore interface {
	// CachedResponse returns the entry saved for (source, key); ok is false
	// when there is none. A nil body (not an empty one) means the body is
	// not available: the cache sends the ETag anyway and, if GitHub answers
	// 304, asks again without If-None-Match.
	CachedResponse(ctx context.Context, source, key string) (etag string, header http.Header, body []byte, ok bool, err error)
	// CacheResponse saves the entry for (source, key), replacing any older
	// one. It may decline to keep it (a body too large), and then must
	// remove the older entry.
	CacheResponse(ctx context.Context, source, key, etag string, header http.Header, body []byte) error
	// ForgetCachedResponse removes the entry for (source, key), if any.
	ForgetCachedResponse(ctx context.Context, source, key string) error
}

// persistedHeaders are the headers saved with a body: what go-github reads
// from a 200 besides the rate-limit headers (which a 304 brings fresh).
var persistedHeaders = []string{"Content-Type", "Link", "Last-Modified", "X-Github-Media-Type"}

// etagCache makes repeated GETs conditional: it remembers the ETag and body
// of every 200 answer per URL (and Accept header) and sends If-None-Match the
// next time; a 304, which GitHub does not count against the rate limit, is
// turned back into the remembered 200 (marked X-From-Cache, fresh rate-limit
// headers), so callers never see a 304. A 304 it cannot answer (no body for
// the ETag sent) is asked again without If-None-Match. Entries are kept in
// memory, evicted least recently used, in front of an optional ETagStore
// that outlives the process. It is safe for concurrent use.
type etagCache struct {
	next http.RoundTripper

	// persist, when set, backs the memory cache; identity (a hash of the
	// credential) prefixes its keys.
	persist  ETagStore
	identity string
	log      *slog.Logger
	now      func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element
	lru     *list.List // of *etagEntry, most recent first

	notModified atomic.Int64
	storeErrors atomic.Int64
}

type etagEntry struct {
	key    string
	etag   string
	header http.Header
	body   []byte // nil: unknown (only from a store)
	saved  atomic.Int64
}

func newETagCache(next http.RoundTripper) *etagCache {
	return &etagCache{
		next: next, log: slog.New(slog.DiscardHandler), now: time.Now,
		entries: map[string]*list.Element{}, lru: list.New(),
	}
}

// persistTo backs the cache with st (nil: memory only); identity tells
// apart the answers given to different credentials.
func (c *etagCache) persistTo(st ETagStore, identity string) {
	c.persist, c.identity = st, identity
}

func (c *etagCache) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.Header.Get("If-None-Match") != "" {
		return c.next.RoundTrip(req)
	}
	key := cacheKey(req)
	e := c.lookup(req.Context(), key)
	sent := req
	if e != nil {
		sent = req.Clone(req.Context())
		sent.Header.Set("If-None-Match", e.etag)
	}
	resp, err := c.next.RoundTrip(sent)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && e != nil && e.body != nil:
		c.notModified.Add(1)
		c.refresh(req.Context(), e)
		return cachedResponse(sent, resp, e), nil
	case resp.StatusCode == http.StatusNotModified:
		return c.refetch(req, resp, key)
	case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "":
		return c.store(req.Context(), key, resp)
	}
	return resp, nil
}

// cacheKey names what a GET asks for: URL, media type and API version.
func cacheKey(req *http.Request) string {
	return req.URL.String() + " " + req.Header.Get("Accept") + " " + req.Header.Get("X-GitHub-Api-Version")
}

// cacheIdentity names whose view of GitHub a cached answer is without
// revealing the credential: a hash of the token, or of the App installation.
func cacheIdentity(cfg *Config) string {
	id := "app:" + strconv.FormatInt(cfg.App.ID, 10) + "/" + strconv.FormatInt(cfg.App.InstallationID, 10)
	if cfg.Token.IsSet() {
		id = "token:" + cfg.Token.Reveal()
	}
	sum := sha256.Sum256([]byte("goalpost etag cache v1\x00" + id))
	return hex.EncodeToString(sum[:16])
}

// lookup returns the entry for key from memory, else from the store (then
// remembered in memory when it has a body), else nil.
func (c *etagCache) lookup(ctx context.Context, key string) *etagEntry {
	if e := c.get(key); e != nil || c.persist == nil {
		return e
	}
	etag, h, body, ok, err := c.persist.CachedResponse(ctx, event.SourceGitHub, c.persistKey(key))
	if err != nil {
		c.storeFailed(ctx, "read", err)
		return nil
	}
	if !ok || etag == "" {
		return nil
	}
	h = h.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("ETag", etag)
	e := &etagEntry{key: key, etag: etag, header: h, body: body}
	e.saved.Store(c.now().UnixNano())
	if body != nil {
		c.put(e)
	}
	return e
}

func (c *etagCache) persistKey(key string) string { return c.identity + " " + key }

func (c *etagCache) get(key string) *etagEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*etagEntry)
}

// put remembers e in memory, evicting the least recently used entries.
func (c *etagCache) put(e *etagEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[e.key]; ok {
		c.lru.Remove(old)
	}
	c.entries[e.key] = c.lru.PushFront(e)
	for c.lru.Len() > etagMaxEntries {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.entries, last.Value.(*etagEntry).key)
	}
}

// forget drops key from memory and from the store.
func (c *etagCache) forget(ctx context.Context, key string) {
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		c.lru.Remove(el)
		delete(c.entries, key)
	}
	c.mu.Unlock()
	if c.persist == nil {
		return
	}
	if err := c.persist.ForgetCachedResponse(ctx, event.SourceGitHub, c.persistKey(key)); err != nil {
		c.storeFailed(ctx, "forget", err)
	}
}

// store reads the body of a 200 answer and remembers it when small enough
// (else forgets the older answer, whose ETag is stale).
func (c *etagCache) store(ctx context.Context, key string, resp *http.Response) (*http.Response, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, etagMaxBody+1))
	if err != nil {
		_ = resp.Body.Close()
		return nil, err
	}
	if len(body) > etagMaxBody {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		c.forget(ctx, key)
		return resp, nil
	}
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	e := &etagEntry{key: key, etag: resp.Header.Get("ETag"), header: resp.Header.Clone(), body: body}
	c.put(e)
	c.save(ctx, e)
	return resp, nil
}

// save writes e to the store, if any.
func (c *etagCache) save(ctx context.Context, e *etagEntry) {
	if c.persist == nil {
		return
	}
	e.saved.Store(c.now().UnixNano())
	h := http.Header{}
	for _, k := range persistedHeaders {
		if v := e.header.Values(k); len(v) > 0 {
			h[k] = v
		}
	}
	if err := c.persist.CacheResponse(ctx, event.SourceGitHub, c.persistKey(e.key), e.etag, h, e.body); err != nil {
		c.storeFailed(ctx, "write", err)
	}
}

// refresh saves an entry again when it last went to the store a day ago or
// more: it keeps answering, so the store must not prune it.
func (c *etagCache) refresh(ctx context.Context, e *etagEntry) {
	if c.persist == nil {
		return
	}
	last := e.saved.Load()
	if c.now().Sub(time.Unix(0, last)) < etagRefreshEvery || !e.saved.CompareAndSwap(last, c.now().UnixNano()) {
		return
	}
	c.save(ctx, e)
}

// refetch answers a 304 the cache cannot turn into a 200 (it has no body for
// the ETag it sent): it forgets the entry and asks once more without
// If-None-Match.
func (c *etagCache) refetch(req *http.Request, notModified *http.Response, key string) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, notModified.Body)
	_ = notModified.Body.Close()
	c.forget(req.Context(), key)
	again := req.Clone(req.Context())
	again.Header.Del("If-None-Match")
	resp, err := c.next.RoundTrip(again)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "" {
		return c.store(req.Context(), key, resp)
	}
	return resp, nil
}

// storeFailed counts and logs a store error; the request goes on without
// the store. Errors of cancelled requests are expected and not logged.
func (c *etagCache) storeFailed(ctx context.Context, op string, err error) {
	c.storeErrors.Add(1)
	if ctx.Err() == nil {
		c.log.Warn("github etag store failed; request sent without it", "op", op, "err", err)
	}
}

// cachedResponse is the remembered 200 answer, with the 304's rate-limit
// headers (they describe the present).
func cachedResponse(req *http.Request, notModified *http.Response, e *etagEntry) *http.Response {
	_, _ = io.Copy(io.Discard, notModified.Body)
	_ = notModified.Body.Close()
	h := e.header.Clone()
	for k, v := range notModified.Header {
		if strings.HasPrefix(k, "X-Ratelimit-") || k == "Date" {
			h[k] = v
		}
	}
	h.Set("X-From-Cache", "1")
	h.Set("Content-Length", strconv.Itoa(len(e.body)))
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: notModified.Proto,
		ProtoMajor: notModified.ProtoMajor, ProtoMinor: notModified.ProtoMinor,
		Header: h, Body: io.NopCloser(bytes.NewReader(e.body)), ContentLength: int64(len(e.body)),
		Request: req,
	}
}
