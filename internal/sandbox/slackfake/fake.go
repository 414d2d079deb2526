// Package slackfake is an in-memory Slack Web API for tests and the
// sandbox: chat.postMessage (with message metadata), chat.update,
// auth.test, conversations.history (include_all_metadata), conversations.open and
// users.lookupByEmail. Like Slack it takes form-encoded calls with a bearer
// token, answers errors as HTTP 200 {"ok": false, "error"}, enforces each
// method's rate-limit tier per minute (and about one post per second per
// channel) with 429 and Retry-After, and can lose or withhold a post's answer
// after making the post (a crash mid-send). conversations.history pages
// with limit and cursor like Slack's.
package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Message is a message as the fake keeps it.
type Message struct {
	TS      string
	Channel string
	Text    string
	Blocks  string // the blocks JSON as sent
	Key     string // goalpost's metadata key
	Edits   int
}

// perMinute are the tiers the fake enforces (chat.postMessage: per channel
// per second instead).
var perMinute = map[string]int{"chat.update": 50, "conversations.history": 50, "conversations.open": 50, "users.lookupByEmail": 50}

// Fake is the fake service; an http.Handler, safe for concurrent use.
type Fake struct {
	token string
	now   func() time.Time

	mu       sync.Mutex
	users    map[string]string // email → user id
	messages []*Message
	seq      int
	windows  map[string]window // method (+channel) → current window
	limited  map[string]int
	lose     int
	hold     *held
	calls    map[string]int
}

// held is a post whose answer is withheld (HoldNextPost).
type held struct {
	prefix string
	made   chan Message
}

type window struct {
	start time.Time
	n     int
}

// Option configures a Fake.
type Option func(*Fake)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(f *Fake) { f.now = now } }

// New returns a fake accepting the bot token.
func New(token string, opts ...Option) *Fake {
	f := &Fake{token: token, now: time.Now, users: map[string]string{}, windows: map[string]window{},
		limited: map[string]int{}, calls: map[string]int{}}
	for _, o := range opts {
		o(f)
	}
	return f
}

// AddUser adds a workspace member.
func (f *Fake) AddUser(id, email string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[strings.ToLower(email)] = id
}

// RateLimitNext answers the next n calls of method 429 (Retry-After 3).
func (f *Fake) RateLimitNext(method string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limited[method] = n
}

// LoseNextPost makes the next chat.postMessage post the message and then
// answer 500, as if the process died before it read the answer.
func (f *Fake) LoseNextPost() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lose++
}

// AddMessages adds n messages by other members to channel (no metadata),
// as a busy channel has.
func (f *Fake) AddMessages(channel string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.seq++
		f.messages = append(f.messages, &Message{TS: fmt.Sprintf("%d.%06d", f.now().Unix(), f.seq), Channel: channel,
			Text: fmt.Sprintf("chatter %d", f.seq)})
	}
}

// HoldNextPost makes the next chat.postMessage whose metadata key starts
// with prefix post the message and then withhold the answer until the
// client goes away, as when the process is killed while Slack answers. The
// message made is sent on the returned channel. The fake dedupes nothing:
// a second post with the same key is a second message, as in Slack.
func (f *Fake) HoldNextPost(prefix string) <-chan Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold = &held{prefix: prefix, made: make(chan Message, 1)}
	return f.hold.made
}

// Calls counts the calls of a method.
func (f *Fake) Calls(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// All returns copies of every channel's messages, oldest first.
func (f *Fake) All() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Message, 0, len(f.messages))
	for _, m := range f.messages {
		out = append(out, *m)
	}
	return out
}

// Messages returns copies of the messages of channel, oldest first.
func (f *Fake) Messages(channel string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, m := range f.messages {
		if m.Channel == channel {
			out = append(out, *m)
		}
	}
	return out
}

func reply(w http.ResponseWriter, v map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code string) { reply(w, map[string]any{"ok": false, "error": code}) }

// ServeHTTP routes /<method>.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/")
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		fail(w, "invalid_auth")
		return
	}
	if wait, ok := f.throttle(method, r.PostForm.Get("channel")); !ok {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())))
		w.WriteHeader(http.StatusTooManyRequests)
		fail(w, "ratelimited")
		return
	}
	switch method {
	case "auth.test":
		reply(w, map[string]any{"ok": true, "user": "goalpost", "team": "acme", "user_id": "UGOALPOST", "team_id": "TACME"})
	case "chat.postMessage":
		f.post(w, r)
	case "chat.update":
		f.update(w, r)
	case "conversations.history":
		f.history(w, r)
	case "conversations.open":
		users := r.PostForm.Get("users")
		if users == "" {
			fail(w, "users_list_not_supplied")
			return
		}
		reply(w, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + strings.ReplaceAll(users, ",", "")}})
	case "users.lookupByEmail":
		f.mu.Lock()
		id, ok := f.users[strings.ToLower(r.PostForm.Get("email"))]
		f.mu.Unlock()
		if !ok {
			fail(w, "users_not_found")
			return
		}
		reply(w, map[string]any{"ok": true, "user": map[string]any{"id": id}})
	default:
		fail(w, "unknown_method")
	}
}

// throttle counts a call against its tier; false with the wait when over.
func (f *Fake) throttle(method, channel string) (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[method]++
	if f.limited[method] > 0 {
		f.limited[method]--
		return 3 * time.Second, false
	}
	key, span, limit := method, time.Minute, perMinute[method]
	if method == "chat.postMessage" {
		// About one per second: a client spacing its posts exactly 1 s
		// apart must pass whatever the network jitter (10% margin).
		key, span, limit = method+" "+channel, 900*time.Millisecond, 1
	}
	if limit == 0 {
		limit = 20
	}
	now := f.now()
	win := f.windows[key]
	if now.Sub(win.start) >= span {
		win = window{start: now}
	}
	win.n++
	f.windows[key] = win
	if win.n > limit {
		return win.start.Add(span).Sub(now).Round(time.Second) + time.Second, false
	}
	return 0, true
}
