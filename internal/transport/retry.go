// Package transport holds the one HTTP retry and rate-limit policy every
// connector uses: an http.RoundTripper that spaces requests with a token
// bucket, retries 429, 529 and 5xx answers honouring Retry-After (and GitHub's
// X-RateLimit-Reset), rebuilds request bodies on retry, and gives up after a
// bounded number of attempts or when told to wait longer than it may.
package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/time/rate"
)

// Decision is a classifier's verdict on one response.
type Decision struct {
	Retry bool
	// Wait is how long to wait before the next attempt; zero means "use the
	// default backoff".
	Wait time.Duration
}

// Classifier inspects a response and says whether it is a retryable failure.
// It may read the body only through peek, which leaves it readable. A nil
// Classifier uses Default.
type Classifier func(resp *http.Response, peek func() []byte) Decision

// Options configure a retrying transport. Zero values are sensible defaults.
type Options struct {
	// MaxAttempts bounds the tries per request (default 5).
	MaxAttempts int
	// MaxWait bounds one wait; a server asking for longer fails the request
	// with a *WaitTooLongError instead of blocking (default 2 minutes).
	MaxWait time.Duration
	// BaseBackoff is the first backoff when the server gives no hint (default 1s);
	// it doubles per attempt with jitter, up to MaxWait.
	BaseBackoff time.Duration
	// Limiter spaces requests (nil: no limit).
	Limiter *rate.Limiter
	// Classify decides what is retryable (nil: Default).
	Classify Classifier
	// Sleep waits for d or until ctx ends; tests inject a fake (nil: real timer).
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for reading reset timestamps (nil: time.Now).
	Now func() time.Time
}

// WaitTooLongError is returned when the server asks for a wait above MaxWait.
type WaitTooLongError struct {
	Status int
	Wait   time.Duration
}

func (e *WaitTooLongError) Error() string {
	return fmt.Sprintf("rate limited (status %d): retry after %s exceeds the allowed wait", e.Status, e.Wait.Round(time.Second))
}

// Transport is a retrying, rate-limited http.RoundTripper. It is safe for
// concurrent use. It only retries requests whose body can be rebuilt
// (req.GetBody, set by http.NewRequest for in-memory bodies), so callers must
// make writes idempotent.
type Transport struct {
	base http.RoundTripper
	opt  Options
}

// New wraps base (nil: http.DefaultTransport).
func New(base http.RoundTripper, opt Options) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 5
	}
	if opt.MaxWait <= 0 {
		opt.MaxWait = 2 * time.Minute
	}
	if opt.BaseBackoff <= 0 {
		opt.BaseBackoff = time.Second
	}
	if opt.Classify == nil {
		opt.Classify = Default
	}
	if opt.Sleep == nil {
		opt.Sleep = Sleep
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Transport{base: base, opt: opt}
}

// Client returns an *http.Client using t with the given overall timeout.
func (t *Transport) Client(timeout time.Duration) *http.Client {
	return &http.Client{Transport: t, Timeout: timeout}
}

// attemptsKey carries a caller's bound on attempts (WithAttempts).
type attemptsKey struct{}

// WithAttempts bounds the tries of every request made with ctx to n (when
// below the transport's own MaxAttempts). A check that reports at once, as
// doctor does, passes 2: a service that is down answers in about a second,
// not after the daemon's backoff of several.
func WithAttempts(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, attemptsKey{}, n)
}

func (t *Transport) maxAttempts(ctx context.Context) int {
	if n, ok := ctx.Value(attemptsKey{}).(int); ok && n > 0 && n < t.opt.MaxAttempts {
		return n
	}
	return t.opt.MaxAttempts
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	maxAttempts := t.maxAttempts(ctx)
	for attempt := 1; ; attempt++ {
		if t.opt.Limiter != nil {
			if err := t.opt.Limiter.Wait(ctx); err != nil {
				return nil, fmt.Errorf("rate limiter: %w", err)
			}
		}
		r, err := rewind(req, attempt)
		if err != nil {
			return nil, err
		}
		resp, err := t.base.RoundTrip(r)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil || attempt >= maxAttempts || (req.Body != nil && req.GetBody == nil) {
				return nil, err
			}
		default:
			body := newPeeker(resp)
			d := t.opt.Classify(resp, body.peek)
			if !d.Retry || attempt >= maxAttempts {
				return resp, nil
			}
			wait = d.Wait
			if wait == 0 {
				wait = HintedWait(resp.Header, t.opt.Now())
			}
			if wait > t.opt.MaxWait {
				drain(resp)
				return nil, &WaitTooLongError{Status: resp.StatusCode, Wait: wait}
			}
			drain(resp)
		}
		if wait == 0 {
			wait = t.backoff(attempt)
		}
		if err := t.opt.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (t *Transport) backoff(attempt int) time.Duration {
	d := t.opt.BaseBackoff << (attempt - 1)
	if d > t.opt.MaxWait || d <= 0 {
		d = t.opt.MaxWait
	}
	// Full jitter in [d/2, d).
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func rewind(req *http.Request, attempt int) (*http.Request, error) {
	if attempt == 1 || req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, errors.New("cannot retry request: body cannot be rebuilt")
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("rebuild request body: %w", err)
	}
	r := req.Clone(req.Context())
	r.Body = body
	return r, nil
}

// Default retries 429, 529 and 5xx (except 501), and a 403 that carries a
// Retry-After or an exhausted X-RateLimit-Remaining (GitHub's limits).
func Default(resp *http.Response, _ func() []byte) Decision {
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests, s == 529:
		return Decision{Retry: true}
	case s >= 500 && s != http.StatusNotImplemented:
		return Decision{Retry: true}
	case s == http.StatusForbidden:
		if resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-RateLimit-Remaining") == "0" {
			return Decision{Retry: true}
		}
	}
	return Decision{}
}

// HintedWait reads how long the server asked to wait: Retry-After (seconds or
// an HTTP date), else X-RateLimit-Reset when X-RateLimit-Remaining is 0 (epoch
// seconds, or milliseconds when the value is that large). Zero means no hint.
func HintedWait(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
			return time.Duration(min(secs, maxHintSeconds)) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			at := time.Unix(reset, 0)
			if reset > 1e11 {
				at = time.UnixMilli(reset)
			}
			return max(at.Sub(now), time.Second)
		}
	}
	return 0
}

// maxHintSeconds caps a Retry-After before it becomes a Duration (68
// years: far above any MaxWait, far below an overflow).
const maxHintSeconds = 1 << 31

// Sleep waits for d or until ctx ends, returning ctx's error then. It is
// the one context-aware wait (the retrying transport, the GitHub rate-limit
// gate and the report scheduler use it).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
}
