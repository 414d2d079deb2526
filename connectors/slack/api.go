package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// DefaultAPIBase is Slack's Web API.
const DefaultAPIBase = "https://slack.com/api"

// Slack's rate-limit tiers (requests per minute per workspace and method);
// chat.postMessage is "special": about one message per second per channel.
var tiers = map[string]float64{
	"chat.update": 50, "conversations.history": 50, "conversations.open": 50, "users.lookupByEmail": 50,
}

// API is the Slack Web API client for a bot token (the Slack app): post,
// update and find messages, open direct messages, look users up by email.
// Each method is spaced under its rate-limit tier before it is sent (one
// message per second per channel for chat.postMessage); a 429 is retried
// after Slack's Retry-After, and 5xx for reads, a bounded number of times
// (transport). Slack answers most errors as HTTP 200 {"ok": false}: they
// come back as *APIError. The token never appears in errors. Safe for
// concurrent use; no I/O until a method is called.
type API struct {
	base  string
	token secret.String
	hc    *http.Client

	mu       sync.Mutex
	limiters map[string]*rate.Limiter // by method, or "chat.postMessage <channel>"
	perMin   func(method string) float64
}

// APIOption configures an API.
type APIOption func(*apiConfig)

type apiConfig struct {
	topt    transport.Options
	noLimit bool
}

// WithAPITransport replaces the retry options (tests: sleep, clock).
func WithAPITransport(o transport.Options) APIOption { return func(c *apiConfig) { c.topt = o } }

// WithoutTierLimits turns off the client-side spacing (tests that check
// how the client reacts to Slack's own 429s).
func WithoutTierLimits() APIOption { return func(c *apiConfig) { c.noLimit = true } }

// NewAPI returns a client for the bot token at base ("" = DefaultAPIBase)
// over rt (nil: http.DefaultTransport). It does no I/O.
func NewAPI(token secret.String, base string, rt http.RoundTripper, opts ...APIOption) *API {
	var c apiConfig
	for _, o := range opts {
		o(&c)
	}
	if base == "" {
		base = DefaultAPIBase
	}
	if c.topt.Classify == nil {
		c.topt.Classify = classifyAPI
	}
	a := &API{base: strings.TrimRight(base, "/"), token: token, hc: transport.New(rt, c.topt).Client(time.Minute),
		limiters: map[string]*rate.Limiter{}, perMin: tierOf}
	if c.noLimit {
		a.perMin = func(string) float64 { return 0 }
	}
	return a
}

func tierOf(method string) float64 {
	if method == "chat.postMessage" {
		return 60
	}
	if n, ok := tiers[method]; ok {
		return n
	}
	return 20 // Tier 2, the most common
}

// classifyAPI retries 429 always and 5xx only for reads (a post that failed
// with a 5xx may have been made; Upsert looks before posting again).
func classifyAPI(resp *http.Response, peek func() []byte) transport.Decision {
	if resp.StatusCode >= 500 && resp.Request != nil && !readMethod(resp.Request.URL.Path) {
		return transport.Decision{}
	}
	return transport.Default(resp, peek)
}

func readMethod(path string) bool {
	return strings.HasSuffix(path, "/conversations.history") || strings.HasSuffix(path, "/users.lookupByEmail")
}

// wait spaces one call of method (key adds the channel for posts).
func (a *API) wait(ctx context.Context, method, key string) error {
	n := a.perMin(method)
	if n <= 0 {
		return nil
	}
	a.mu.Lock()
	l, ok := a.limiters[method+" "+key]
	if !ok {
		burst := max(1, int(n/20))
		if method == "chat.postMessage" {
			burst = 1 // one message per second per channel, no bursts
		}
		l = rate.NewLimiter(rate.Limit(n/60), burst)
		a.limiters[method+" "+key] = l
	}
	a.mu.Unlock()
	return l.Wait(ctx)
}

// APIError is a Slack Web API error: {"ok": false, "error": code}, or a
// non-2xx answer.
type APIError struct {
	Method string
	Status int
	Code   string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("slack %s: %s (http %d)", e.Method, e.Code, e.Status)
}

// Permanent reports whether the same call cannot succeed later: bad token
// or scope, unknown or archived channel, bad message.
func (e *APIError) Permanent() bool {
	switch e.Code {
	case "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "":
		return false
	}
	return e.Status < 500 && e.Status != http.StatusTooManyRequests
}

// formOf encodes params as a form, every method accepts one: strings as
// they are, anything else (blocks, metadata, numbers) as JSON.
func formOf(params map[string]any) (url.Values, error) {
	form := url.Values{}
	for k, v := range params {
		if s, ok := v.(string); ok {
			form.Set(k, s)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		form.Set(k, string(b))
	}
	return form, nil
}

// call posts params as a form to method and decodes the answer into out.
func (a *API) call(ctx context.Context, method, limitKey string, params map[string]any, out any) error {
	if err := a.wait(ctx, method, limitKey); err != nil {
		return fmt.Errorf("slack %s: %w", method, err)
	}
	form, err := formOf(params)
	if err != nil {
		return outbox.Permanent(fmt.Errorf("slack %s: encode: %w", method, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+"/"+method, strings.NewReader(form.Encode()))
	if err != nil {
		return outbox.Permanent(fmt.Errorf("slack %s: bad base url", method))
	}
	req.Header.Set("Authorization", "Bearer "+a.token.Reveal())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := a.hc.Do(req)
	if err != nil {
		return fmt.Errorf("slack %s: %w", method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("slack %s: read: %w", method, err)
	}
	var env struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	_ = json.Unmarshal(raw, &env)
	if resp.StatusCode != http.StatusOK || !env.OK {
		code := env.Error
		if code == "" {
			code = "http_" + strconv.Itoa(resp.StatusCode)
		}
		return &APIError{Method: method, Status: resp.StatusCode, Code: code}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("slack %s: decode: %w", method, err)
		}
	}
	return nil
}

// metadataType is the event type of goalpost's message metadata: the key
// that finds a message again after a crash.
const metadataType = "goalpost_message"

type metadata struct {
	EventType    string            `json:"event_type"`
	EventPayload map[string]string `json:"event_payload"`
}

// PostMessage posts m to channel (a channel id, or a DM channel from
// OpenDM), tagged with key in the message metadata, and returns its ts.
func (a *API) PostMessage(ctx context.Context, channel, key string, m Message) (string, error) {
	var out struct {
		TS string `json:"ts"`
	}
	err := a.call(ctx, "chat.postMessage", channel, map[string]any{"channel": channel, "text": m.Text, "blocks": m.Blocks,
		"unfurl_links": false, "metadata": metadata{EventType: metadataType, EventPayload: map[string]string{"key": key}}}, &out)
	return out.TS, err
}

// UpdateMessage replaces the message ts in channel with m.
func (a *API) UpdateMessage(ctx context.Context, channel, ts string, m Message) error {
	return a.call(ctx, "chat.update", "", map[string]any{"channel": channel, "ts": ts, "text": m.Text, "blocks": m.Blocks}, nil)
}

// historyPages bounds FindMessage's walk back through a channel: 100
// pages of 200, far more than a channel sees between a send and its retry.
const historyPages = 100

// FindMessage looks for the message goalpost tagged with key in channel's
// history since oldest, newest first, page by page (conversations.history
// with include_all_metadata and its cursor); ts is "" when none. A channel
// with more than historyPages pages since oldest is an error, not "none":
// posting then could post twice.
func (a *API) FindMessage(ctx context.Context, channel, key string, oldest time.Time) (string, error) {
	params := map[string]any{"channel": channel, "include_all_metadata": true, "limit": 200,
		"oldest": strconv.FormatFloat(float64(oldest.UnixMicro())/1e6, 'f', 6, 64)}
	for range historyPages {
		var out struct {
			Messages []struct {
				TS       string    `json:"ts"`
				Metadata *metadata `json:"metadata"`
			} `json:"messages"`
			HasMore bool `json:"has_more"`
			Meta    struct {
				NextCursor string `json:"next_cursor"`
			} `json:"response_metadata"`
		}
		if err := a.call(ctx, "conversations.history", "", params, &out); err != nil {
			return "", err
		}
		for _, m := range out.Messages {
			if m.Metadata != nil && m.Metadata.EventType == metadataType && m.Metadata.EventPayload["key"] == key {
				return m.TS, nil
			}
		}
		if !out.HasMore || out.Meta.NextCursor == "" {
			return "", nil
		}
		params["cursor"] = out.Meta.NextCursor
	}
	return "", fmt.Errorf("slack conversations.history: more than %d messages in %s since %s; not posting blind",
		historyPages*200, channel, oldest.UTC().Format(time.RFC3339))
}

// Upsert makes the message tagged key in channel show m, exactly once: it
// updates ts when known (chat.update), else the message found by its key
// since oldest (a send whose answer was lost, or a crash before ts was
// recorded), else posts a new one. It returns the message's ts, which the
// caller records. A message deleted in Slack is posted anew.
func (a *API) Upsert(ctx context.Context, channel, key, ts string, oldest time.Time, m Message) (string, error) {
	if ts == "" {
		found, err := a.FindMessage(ctx, channel, key, oldest)
		if err != nil {
			return "", err
		}
		ts = found
	}
	if ts != "" {
		err := a.UpdateMessage(ctx, channel, ts, m)
		if e, ok := err.(*APIError); !ok || e.Code != "message_not_found" {
			return ts, err
		}
	}
	return a.PostMessage(ctx, channel, key, m)
}

// LookupUserByEmail returns the Slack user id of email, "" when no user
// has it.
func (a *API) LookupUserByEmail(ctx context.Context, email string) (string, error) {
	var out struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	err := a.call(ctx, "users.lookupByEmail", "", map[string]any{"email": email}, &out)
	if e, ok := err.(*APIError); ok && e.Code == "users_not_found" {
		return "", nil
	}
	return out.User.ID, err
}

// OpenDM opens (or finds) the direct-message conversation with users and
// returns its channel id.
func (a *API) OpenDM(ctx context.Context, users ...string) (string, error) {
	var out struct {
		Channel struct {
			ID string `json:"id"`
		} `json:"channel"`
	}
	err := a.call(ctx, "conversations.open", "", map[string]any{"users": strings.Join(users, ",")}, &out)
	return out.Channel.ID, err
}
