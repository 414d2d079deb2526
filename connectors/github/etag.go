package github

import (
	"bytes"
	"container/list"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Cache bounds: entries are first pages of listings and single objects, so
// a few thousand cover hundreds of repositories.
const (
	etagMaxEntries = 4096
	etagMaxBody    = 4 << 20
)

// etagCache makes repeated GETs conditional: it remembers the ETag and body
// of every 200 answer per URL (and Accept header) and sends If-None-Match the
// next time; a 304, which GitHub does not count against the rate limit, is
// turned back into the remembered 200 (marked X-From-Cache, fresh rate-limit
// headers), so callers never see a 304. Entries are evicted least recently
// used. It is safe for concurrent use.
type etagCache struct {
	next http.RoundTripper

	mu      sync.Mutex
	entries map[string]*list.Element
	lru     *list.List // of *etagEntry, most recent first

	notModified atomic.Int64
}

type etagEntry struct {
	key    string
	etag   string
	header http.Header
	body   []byte
}

func newETagCache(next http.RoundTripper) *etagCache {
	return &etagCache{next: next, entries: map[string]*list.Element{}, lru: list.New()}
}

func (c *etagCache) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.Header.Get("If-None-Match") != "" {
		return c.next.RoundTrip(req)
	}
	key := req.URL.String() + "\x00" + req.Header.Get("Accept")
	e := c.get(key)
	if e != nil {
		req = req.Clone(req.Context())
		req.Header.Set("If-None-Match", e.etag)
	}
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && e != nil:
		c.notModified.Add(1)
		return cachedResponse(req, resp, e), nil
	case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "":
		return c.store(key, resp)
	}
	return resp, nil
}

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

// store reads the body of a 200 answer and remembers it when small enough.
func (c *etagCache) store(key string, resp *http.Response) (*http.Response, error) {
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
		return resp, nil
	}
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	e := &etagEntry{key: key, etag: resp.Header.Get("ETag"), header: resp.Header.Clone(), body: body}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[key]; ok {
		c.lru.Remove(old)
	}
	c.entries[key] = c.lru.PushFront(e)
	for c.lru.Len() > etagMaxEntries {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.entries, last.Value.(*etagEntry).key)
	}
	return resp, nil
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
