// Package notionfake is an in-memory fake of the Notion REST API (the
// 2022-06-28 version that jomei/notionapi speaks), for tests and for the
// `goalpost demo` sandbox. It behaves like the real service where goalpost
// depends on it: typed page properties (title, rich_text, number, select,
// status, date, people, checkbox, url), PATCH and GET of pages, database
// queries with start_cursor / has_more pagination and the last_edited_time
// timestamp filter (edit times rounded down to the minute, moved by any
// edit of the page's blocks), block children (list with page_size /
// start_cursor, append with nested children up to two levels, update
// without touching children, delete), the Notion-Version and Bearer-token checks, 404
// object_not_found for unknown or unshared pages, trashed (archived) pages
// that refuse edits unless restored, the 2,000-character rich-text and
// 100-element array limits (400 validation_error), and injectable 429
// rate_limited (with Retry-After), 529 and 5xx answers. Every request is
// counted by method and route so tests can assert exactly what was sent.
//
// A Server is an http.Handler; serve it with httptest.NewServer or mount it.
// It is safe for concurrent use.
package notionfake

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxBody is Notion's request payload limit (500 KB).
const maxBody = 500 << 10

// Server is the fake. Create it with New.
type Server struct {
	token string
	now   func() time.Time
	mux   *http.ServeMux

	mu        sync.Mutex
	databases map[string]*database
	pages     map[string]*page
	blocks    map[string]*block
	children  map[string][]string // parent id (page or block) → child block ids, in order
	users     map[string]User
	order     []string // page ids in creation order
	counts    map[string]int
	log       []Request
	faults    []*Fault
	limiter   *rate.Limiter
	onRequest func(Request)
	restores  int
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock used for created/last-edited times (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New returns an empty fake that accepts "Authorization: Bearer <token>".
func New(token string, opts ...Option) *Server {
	s := &Server{
		token:     token,
		now:       time.Now,
		databases: map[string]*database{},
		pages:     map[string]*page{},
		blocks:    map[string]*block{},
		children:  map[string][]string{},
		users:     map[string]User{},
		counts:    map[string]int{},
	}
	for _, o := range opts {
		o(s)
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	handle := func(pattern string, h func(*call)) { s.mux.Handle(pattern, s.wrap(pattern, h)) }
	handle("GET /v1/pages/{id}", s.getPage)
	handle("PATCH /v1/pages/{id}", s.patchPage)
	handle("GET /v1/databases/{id}", s.getDatabase)
	handle("POST /v1/search", s.searchDatabases)
	handle("POST /v1/databases/{id}/query", s.queryDatabase)
	handle("GET /v1/data_sources/{id}", s.getDataSource)
	handle("GET /v1/users/me", func(c *call) {
		c.ok(map[string]any{"object": "user", "id": botID, "type": "bot", "name": "goalpost", "bot": map[string]any{}})
	})
	handle("POST /v1/data_sources/{id}/query", s.queryDataSource)
	handle("GET /v1/blocks/{id}", s.getBlock)
	handle("PATCH /v1/blocks/{id}", s.updateBlock)
	handle("DELETE /v1/blocks/{id}", s.deleteBlock)
	handle("GET /v1/blocks/{id}/children", s.listChildren)
	handle("PATCH /v1/blocks/{id}/children", s.appendChildren)
	handle("/", func(c *call) { c.fail(400, "invalid_request_url", "Invalid request URL.") })
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Request is one request the fake answered.
type Request struct {
	Method string
	Path   string
	// Route is the matched route, e.g. "PATCH /v1/pages/{id}" (the key of Requests).
	Route         string
	Query         string // the raw query string (start_cursor, page_size)
	Status        int
	NotionVersion string
	Body          []byte
	At            time.Time
}

// call is one request being served.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	body   []byte
	status int
}

func (c *call) id() string { return c.r.PathValue("id") }

func (c *call) reply(status int, v any) {
	c.status = status
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	_ = json.NewEncoder(c.w).Encode(v)
}

func (c *call) ok(v any) { c.reply(http.StatusOK, v) }

// fail answers with Notion's error object.
func (c *call) fail(status int, code, msg string) {
	c.reply(status, map[string]any{
		"object": "error", "status": status, "code": code, "message": msg, "request_id": newID(),
	})
}

func (c *call) failErr(e *apiError) { c.fail(e.status, e.code, e.msg) }

// apiError is a Notion error answer produced by a handler.
type apiError struct {
	status int
	code   string
	msg    string
}

func validation(format string, args ...any) *apiError {
	return &apiError{status: 400, code: "validation_error", msg: fmt.Sprintf(format, args...)}
}

func notFound(kind, id string) *apiError {
	return &apiError{status: 404, code: "object_not_found", msg: fmt.Sprintf(
		"Could not find %s with ID: %s. Make sure the relevant pages and databases are shared with your integration.", kind, id)}
}

func (s *Server) wrap(route string, h func(*call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r}
		if route == "/" {
			route = r.Method + " " + r.URL.Path
		}
		body, tooBig := readBody(r)
		c.body = body
		s.serve(c, route, tooBig, h)
		s.record(c, route)
	})
}

func readBody(r *http.Request) ([]byte, bool) {
	if r.Body == nil {
		return nil, false
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	return b, len(b) > maxBody
}

func (s *Server) serve(c *call, route string, tooBig bool, h func(*call)) {
	if f := s.takeFault(c.r); f != nil {
		f.write(c)
		return
	}
	if s.limiter != nil && !s.limiter.Allow() {
		c.w.Header().Set("Retry-After", "1")
		c.fail(429, "rate_limited", "You have been rate limited. Please try again in a few minutes.")
		return
	}
	if auth := c.r.Header.Get("Authorization"); auth != "Bearer "+s.token || s.token == "" {
		c.fail(401, "unauthorized", "API token is invalid.")
		return
	}
	if c.r.Header.Get("Notion-Version") == "" {
		c.fail(400, "missing_version", "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.")
		return
	}
	if tooBig {
		c.fail(413, "validation_error", "Request body too large.")
		return
	}
	if len(c.body) > 0 && !json.Valid(c.body) {
		c.fail(400, "invalid_json", "Error parsing JSON body.")
		return
	}
	h(c)
}

func (s *Server) record(c *call, route string) {
	req := Request{
		Method: c.r.Method, Path: c.r.URL.Path, Route: route, Query: c.r.URL.RawQuery, Status: c.status,
		NotionVersion: c.r.Header.Get("Notion-Version"), Body: bytes.Clone(c.body), At: s.now(),
	}
	s.mu.Lock()
	s.counts[route]++
	if len(s.log) < maxLog {
		s.log = append(s.log, req)
	}
	hook := s.onRequest
	s.mu.Unlock()
	if hook != nil {
		hook(req)
	}
}

// maxLog bounds the request log (counts are kept without bound).
const maxLog = 10000

// Requests returns how many requests each route received, keyed like
// "PATCH /v1/pages/{id}" (unknown routes by method and path). Failed requests
// (401, 429, validation errors) are counted too.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// Count returns the number of requests to route, e.g. Count("PATCH /v1/pages/{id}").
func (s *Server) Count(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[route]
}

// Log returns the first 10,000 requests in the order they were answered.
func (s *Server) Log() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetRequests clears the counts and the log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.log = nil
}

// OnRequest sets a function called after every answered request (nil to
// remove). It runs on the serving goroutine and must not call back into s
// while blocking.
func (s *Server) OnRequest(fn func(Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRequest = fn
}

// Restores returns how many times a trashed page was restored by a PATCH
// (archived or in_trash false): the trap goalpost must never spring.
func (s *Server) Restores() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restores
}

// normID turns a Notion id with or without dashes into its dashed lowercase
// form, or returns false if it is not a UUID.
func normID(id string) (string, bool) {
	h := strings.ToLower(strings.ReplaceAll(id, "-", ""))
	if len(h) != 32 {
		return "", false
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", false
	}
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], true
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	id, _ := normID(hex.EncodeToString(b[:]))
	return id
}

func badPathID(param, id string) *apiError {
	return validation("path failed validation: path.%s should be a valid uuid, instead was `%q`.", param, id)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
