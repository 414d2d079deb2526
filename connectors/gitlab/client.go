package gitlab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
	"golang.org/x/oauth2"
	"golang.org/x/time/rate"

	"github.com/goalpost/goalpost/internal/transport"
)

// Client is the one GitLab API client: the official client-go over the
// shared retrying transport (the library's own retries and limiter are off),
// so 429 and 5xx answers are retried a bounded number of times, honouring
// Retry-After or GitLab's RateLimit-Reset, and waits longer than max_wait
// fail the poll instead of blocking it.
type Client struct {
	api      *gl.Client
	requests atomic.Int64
}

// ClientOption adjusts a Client.
type ClientOption func(*clientOptions)

type clientOptions struct {
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	base  http.RoundTripper
}

// WithClock sets the clock that reads RateLimit-Reset (default time.Now).
func WithClock(now func() time.Time) ClientOption { return func(o *clientOptions) { o.now = now } }

// WithSleep replaces the transport's sleep (tests advance a fake clock).
func WithSleep(sleep func(context.Context, time.Duration) error) ClientOption {
	return func(o *clientOptions) { o.sleep = sleep }
}

// WithBaseTransport sets the round tripper under the retrying transport.
func WithBaseTransport(rt http.RoundTripper) ClientOption {
	return func(o *clientOptions) { o.base = rt }
}

// NewClient builds the client from the configuration; it does no I/O.
func NewClient(cfg *Config, log *slog.Logger, opts ...ClientOption) (*Client, error) {
	o := clientOptions{now: time.Now}
	for _, f := range opts {
		f(&o)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rps := cfg.RequestsPerSecond
	if rps == 0 {
		rps = DefaultRequestsPerSecond
	}
	c := &Client{}
	tr := transport.New(countingTransport{base: o.base, n: &c.requests}, transport.Options{
		MaxWait: cfg.MaxWait.Or(DefaultMaxWait), Limiter: rate.NewLimiter(rate.Limit(rps), int(max(rps, 1))),
		Classify: classifier(o.now), Sleep: o.sleep, Now: o.now,
	})
	glOpts := []gl.ClientOptionFunc{
		gl.WithBaseURL(cfg.baseURL()), gl.WithHTTPClient(tr.Client(2 * time.Minute)), gl.WithoutRetries(),
		gl.WithCustomLimiter(rate.NewLimiter(rate.Inf, 0)), gl.WithURLWarningLogger(log),
	}
	var err error
	token := cfg.Token.Reveal()
	if cfg.TokenKind == TokenOAuth {
		ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})
		c.api, err = gl.NewAuthSourceClient(gl.OAuthTokenSource{TokenSource: ts}, glOpts...)
	} else {
		c.api, err = gl.NewClient(token, glOpts...)
	}
	if err != nil {
		return nil, errors.New("gitlab client: bad base_url") // never echo the token
	}
	return c, nil
}

// API is the underlying client-go client.
func (c *Client) API() *gl.Client { return c.api }

// Requests is how many HTTP requests the client sent (retries included).
func (c *Client) Requests() int64 { return c.requests.Load() }

// classifier retries what transport.Default retries; a 429 without
// Retry-After waits for RateLimit-Reset (Unix seconds) when GitLab sent it.
func classifier(now func() time.Time) transport.Classifier {
	return func(resp *http.Response, peek func() []byte) transport.Decision {
		d := transport.Default(resp, peek)
		if !d.Retry || resp.Header.Get("Retry-After") != "" {
			return d
		}
		if reset, err := strconv.ParseInt(resp.Header.Get("RateLimit-Reset"), 10, 64); err == nil && resp.StatusCode == http.StatusTooManyRequests {
			d.Wait = max(time.Unix(reset, 0).Sub(now()), time.Second)
		}
		return d
	}
}

type countingTransport struct {
	base http.RoundTripper
	n    *atomic.Int64
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.n.Add(1)
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
}

// isGone reports whether err is GitLab's answer that the thing does not
// exist or cannot be read (404; GitLab answers 404 for no access too).
func isGone(err error) bool {
	var er *gl.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound
}

// apiErr wraps err with context, never with the token.
func apiErr(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }
