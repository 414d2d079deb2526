package notion

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jomei/notionapi"
	"golang.org/x/time/rate"

	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/transport"
)

// notionVersion is the API version jomei/notionapi speaks; it has no types
// for data sources or in_trash, so it is not configurable.
const notionVersion = "2022-06-28"

// dataSourceVersion is the API version of the data-source model, sent by
// the hand-written calls that need it: reading a page's data source and
// its schema (status options), and querying the goals data source, which
// keep working when a database has several data sources (2022-06-28 then
// fails). Page property updates stay on notionVersion: their body is the
// same in both versions.
const dataSourceVersion = "2025-09-03"

// maxResponse bounds one response body.
const maxResponse = 16 << 20

// Client is goalpost's Notion client: jomei/notionapi for blocks, plus
// hand-built requests where the library is unsafe (page updates: it always
// sends "archived": false, which restores a trashed page) or brittle (page
// reads: it rejects a whole page when one property has a type it does not
// know). It is the only code that talks to Notion: the key-result sink, the
// goals database and the weekly report's pages all go through it. All
// requests share one http.Client whose transport spaces them with a token
// bucket (requests_per_second per token) and retries as Classify says,
// honouring Retry-After and rebuilding the body; notionapi's own retry,
// which resends an empty body, is off. It is safe for concurrent use and
// does no I/O until called.
type Client struct {
	api   *notionapi.Client
	hc    *http.Client
	base  *url.URL
	token secret.String
	log   *slog.Logger
	now   func() time.Time
}

// Option adjusts a Client (mostly for tests).
type Option func(*options)

type options struct {
	sleep       func(ctx context.Context, d time.Duration) error
	now         func() time.Time
	maxAttempts int
	maxWait     time.Duration
	timeout     time.Duration
}

// WithSleep replaces the transport's wait between retries (tests record the
// waits instead of sleeping).
func WithSleep(fn func(ctx context.Context, d time.Duration) error) Option {
	return func(o *options) { o.sleep = fn }
}

// WithClock sets the clock used for reset times and the check-in week.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithRetries bounds the transport's attempts per request (default 4) and
// the longest Retry-After it waits in place (default 30s); a longer wait is
// returned as a retryable error so the outbox reschedules the write.
func WithRetries(attempts int, maxWait time.Duration) Option {
	return func(o *options) { o.maxAttempts, o.maxWait = attempts, maxWait }
}

// NewClient returns a client for cfg. hc supplies the underlying round
// tripper and overall timeout (nil: http.DefaultTransport, 2 minutes); the
// retrying, rate-limited transport is always layered on top of it. It does
// no I/O.
func NewClient(cfg *Config, hc *http.Client, log *slog.Logger, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("notion config: %w", err)
	}
	base, err := url.Parse(cfg.baseURL())
	if err != nil {
		return nil, fmt.Errorf("notion base_url: %w", err)
	}
	o := options{now: time.Now, maxAttempts: 4, maxWait: 30 * time.Second, timeout: 2 * time.Minute}
	for _, opt := range opts {
		opt(&o)
	}
	var rt http.RoundTripper = http.DefaultTransport
	if hc != nil {
		if hc.Transport != nil {
			rt = hc.Transport
		}
		if hc.Timeout > 0 {
			o.timeout = hc.Timeout
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rps := cfg.rps()
	t := transport.New(rebase{to: base, next: rt}, transport.Options{
		MaxAttempts: o.maxAttempts,
		MaxWait:     o.maxWait,
		Limiter:     rate.NewLimiter(rate.Limit(rps), max(1, int(rps))),
		Classify:    Classify,
		Sleep:       o.sleep,
		Now:         o.now,
	})
	c := &Client{hc: t.Client(o.timeout), base: base, token: cfg.Token, log: log, now: o.now}
	c.api = notionapi.NewClient(notionapi.Token(cfg.Token.Reveal()),
		notionapi.WithHTTPClient(c.hc),
		notionapi.WithRetry(1), // 1 = no internal retry; 0 would retry forever
		notionapi.WithVersion(notionVersion))
	return c, nil
}

// Classify is the transport.Classifier for Notion, the one retry policy of
// every request goalpost sends it (the key-result sink, goals, the weekly
// report's pages). 429 rate_limited, 529 service_overload and 409
// conflict_error say the request was not applied: they are always retried,
// waiting for Retry-After when given. 5xx answers (except 501), whatever
// the body, are retried too, except for the two requests that create
// something (POST /pages, PATCH /blocks/{id}/children): a 5xx may come
// after Notion applied them, and a blind retry would duplicate the page or
// its blocks. Their callers look before creating again (ChildPage,
// CountChildren, the check-in's find-or-append).
func Classify(resp *http.Response, peek func() []byte) transport.Decision {
	switch resp.StatusCode {
	case http.StatusConflict, http.StatusTooManyRequests, 529:
		return transport.Decision{Retry: true}
	}
	if creates(resp.Request) {
		return transport.Decision{}
	}
	return transport.Default(resp, peek)
}

// creates reports whether req creates a page or blocks.
func creates(req *http.Request) bool {
	if req == nil {
		return false
	}
	p := strings.TrimSuffix(req.URL.Path, "/")
	return (req.Method == http.MethodPost && strings.HasSuffix(p, "/pages")) ||
		(req.Method == http.MethodPatch && strings.HasSuffix(p, "/children"))
}

// rebase sends requests notionapi addresses to api.notion.com to the
// configured base URL instead (a proxy, or a fake in tests and the demo).
type rebase struct {
	to   *url.URL
	next http.RoundTripper
}

func (r rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != "api.notion.com" || r.to.Host == "api.notion.com" {
		return r.next.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host = r.to.Scheme, r.to.Host
	out.URL.Path = strings.TrimSuffix(r.to.Path, "/") + strings.TrimPrefix(req.URL.Path, "/v1")
	out.URL.RawPath = ""
	out.Host = ""
	return r.next.RoundTrip(out)
}

// APIError is an error answered by Notion (or by the transport in its name).
// It never contains the token.
type APIError struct {
	Status     int
	Code       string // e.g. validation_error, object_not_found, rate_limited
	Message    string
	RetryAfter time.Duration // the wait Notion asked for, if any
}

func (e *APIError) Error() string {
	return fmt.Sprintf("notion: %s (http %d): %s", e.Code, e.Status, e.Message)
}

// Permanent reports whether retrying the same request cannot help: bad
// input (400), authentication (401), permission (403) or a missing page
// (404). Rate limits, conflicts and server errors are not permanent.
func (e *APIError) Permanent() bool {
	switch e.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
		http.StatusRequestEntityTooLarge:
		return true
	}
	return false
}

// Wait returns how long Notion asked to wait before retrying (zero: no hint).
func (e *APIError) Wait() time.Duration { return e.RetryAfter }

// wrap turns the errors of notionapi and the transport into *APIError where
// they carry an answer from Notion.
func wrap(op string, err error) error {
	var ne *notionapi.Error
	var rl *notionapi.RateLimitedError
	var tl *transport.WaitTooLongError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ne):
		err = &APIError{Status: ne.Status, Code: string(ne.Code), Message: ne.Message}
	case errors.As(err, &rl):
		err = &APIError{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "rate limited after retries"}
	case errors.As(err, &tl):
		err = &APIError{Status: tl.Status, Code: "rate_limited", Message: tl.Error(), RetryAfter: tl.Wait}
	case errors.As(err, &se):
		err = &APIError{Status: http.StatusBadGateway, Code: "bad_gateway", Message: "non-JSON answer (a proxy error page?)"}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// do sends one JSON request to path (relative to the base URL) and decodes
// a 200 answer into out (which may be nil).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	return c.doVersion(ctx, notionVersion, method, path, body, out)
}

// doVersion is do with another Notion-Version. path may end in a query
// string ("blocks/ID/children?page_size=100").
func (c *Client) doVersion(ctx context.Context, version, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	path, query, _ := strings.Cut(path, "?")
	u := c.base.JoinPath(path)
	u.RawQuery = query
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	req.Header.Set("Notion-Version", version)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return wrap(method+" "+path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %w", method, path, decodeError(resp, raw, c.now()))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

func decodeError(resp *http.Response, raw []byte, now time.Time) *APIError {
	e := &APIError{Status: resp.StatusCode, RetryAfter: transport.HintedWait(resp.Header, now)}
	var body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &body) == nil && body.Code != "" {
		e.Code, e.Message = body.Code, body.Message
		return e
	}
	e.Code = strings.ToLower(strings.ReplaceAll(http.StatusText(resp.StatusCode), " ", "_"))
	e.Message = "non-JSON answer"
	return e
}
