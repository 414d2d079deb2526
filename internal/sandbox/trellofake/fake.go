// Package trellofake is an in-memory Trello REST API for tests and the
// sandbox: the token's member and boards, boards with lists, members and cards, the card actions Trello records
// (createCard, updateCard moves and archiving, deleteCard) listed newest
// first with since/before paging, card reads, and webhooks created only
// after a HEAD check of the callback URL, delivering one action per POST
// signed with X-Trello-Webhook. Like Trello it wants key and token, sends
// no rate-limit headers and answers 429 API_TOKEN_LIMIT_EXCEEDED beyond
// 100 requests per 10 seconds per token.
package trellofake

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"time"
)

// TokenLimit is Trello's per-token limit per 10 s window.
const TokenLimit = 100

type list struct{ ID, Name string }

// Card is a card as the fake keeps it.
type Card struct {
	ID, Board, List, Name string
	Labels                []string
	Members               []string // usernames
	Closed                bool
	deleted               bool
}

type webhook struct {
	id, model, callback string
	disabled            bool // Trello disables a webhook that failed for 30 days
}

// Fake is the fake service; an http.Handler, safe for concurrent use.
type Fake struct {
	key, token, secret string
	now                func() time.Time
	client             *http.Client
	mux                *http.ServeMux

	mu       sync.Mutex
	lists    map[string]map[string]list // board → list id → list
	boards   map[string]string          // board id → name
	cards    map[string]*Card
	actions  []map[string]any // oldest first
	hooks    []webhook
	seq      int
	window   time.Time
	used     int
	limitN   int
	requests map[string]int
}

// Option configures a Fake.
type Option func(*Fake)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(f *Fake) { f.now = now } }

// WithHTTPClient sets the client for HEAD checks and deliveries.
func WithHTTPClient(c *http.Client) Option { return func(f *Fake) { f.client = c } }

// New returns a fake accepting key and token, signing deliveries with secret.
func New(key, token, secret string, opts ...Option) *Fake {
	f := &Fake{key: key, token: token, secret: secret, now: time.Now, client: http.DefaultClient,
		lists: map[string]map[string]list{}, boards: map[string]string{}, cards: map[string]*Card{}, requests: map[string]int{}}
	for _, o := range opts {
		o(f)
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /boards/{id}/actions", f.boardActions)
	m.HandleFunc("GET /boards/{id}/cards", f.boardCards)
	m.HandleFunc("GET /cards/{id}", f.getCard)
	m.HandleFunc("POST /webhooks", f.createWebhook)
	m.HandleFunc("GET /tokens/{token}/webhooks", f.tokenWebhooks)
	m.HandleFunc("PUT /webhooks/{id}", f.updateWebhook)
	f.memberRoutes(m)
	f.mux = m
	return f
}

var oauth = regexp.MustCompile(`oauth_consumer_key="([^"]*)".*oauth_token="([^"]*)"`)

// ServeHTTP checks key and token (header or query) and the per-token
// limit, then routes.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key, token := r.URL.Query().Get("key"), r.URL.Query().Get("token")
	if m := oauth.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		key, token = m[1], m[2]
	}
	if key != f.key {
		http.Error(w, "invalid key", http.StatusUnauthorized)
		return
	}
	if token != f.token {
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	if f.limited(r) {
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "API_TOKEN_LIMIT_EXCEEDED", "message": "Rate limit exceeded"})
		return
	}
	f.mux.ServeHTTP(w, r)
}

func (f *Fake) limited(r *http.Request) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[r.Method+" "+r.URL.Path]++
	if f.limitN > 0 {
		f.limitN--
		return true
	}
	now := f.now()
	if now.Sub(f.window) >= 10*time.Second {
		f.window, f.used = now, 0
	}
	f.used++
	return f.used > TokenLimit
}

// RateLimitNext answers the next n requests 429 (no Retry-After, like Trello).
func (f *Fake) RateLimitNext(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limitN = n
}

// Requests counts the requests of "METHOD /path".
func (f *Fake) Requests(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[key]
}

// id is a Trello-like id: 8 hex digits of the creation time, then a counter.
func (f *Fake) id() string {
	f.seq++
	return fmt.Sprintf("%08x%016x", f.now().Unix(), f.seq)
}

// AddBoard adds a board with lists (names); it returns the list ids in order.
func (f *Fake) AddBoard(id, name string, lists ...string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.boards[id] = name
	f.lists[id] = map[string]list{}
	var ids []string
	for _, n := range lists {
		l := list{ID: f.id(), Name: n}
		f.lists[id][l.ID] = l
		ids = append(ids, l.ID)
	}
	return ids
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Sign is X-Trello-Webhook for body delivered to callback.
func Sign(secret string, body []byte, callback string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write(body)
	mac.Write([]byte(callback))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
