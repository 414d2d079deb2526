package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/goalpost/goalpost/internal/transport"
)

// Client is a go-github client behind goalpost's GitHub transport chain,
// outermost first:
//
//   - forgetful: hides rate-limit reset times so go-github never fails calls
//     locally (the gate waits instead);
//   - etagCache: conditional GETs, 304s answered from memory, backed by
//     an optional ETagStore (WithClientETagStore) that outlives the process;
//   - transport.Transport: token-bucket spacing and bounded retries of rate
//     limits and 5xx, with the GitHub classifier;
//   - gate: holds every request while GitHub has said to wait;
//   - authTransport: the token (personal or App installation);
//   - counting, a per-attempt timeout, then the base transport.
//
// The timeout applies to each attempt, not to the whole call: a call may
// legitimately wait minutes for a rate limit to reset.
//
// It is safe for concurrent use.
type Client struct {
	api   *gh.Client
	cache *etagCache
	sent  *atomic.Int64
	app   *appTokens // nil when authenticating with a token
}

// ClientOption adjusts a Client; tests inject a clock and a sleep.
type ClientOption func(*clientOptions)

type clientOptions struct {
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	etags ETagStore
	log   *slog.Logger
}

// WithClock sets the clock used for rate-limit resets and token expiry.
func WithClock(now func() time.Time) ClientOption {
	return func(o *clientOptions) { o.now = now }
}

// WithSleep sets how the client waits (default: a timer that stops on
// context cancel). Tests pass one that advances a fake clock.
func WithSleep(sleep func(context.Context, time.Duration) error) ClientOption {
	return func(o *clientOptions) { o.sleep = sleep }
}

// WithClientETagStore keeps the ETag cache in st as well as in memory, so
// that a new process starts with it (default: memory only).
func WithClientETagStore(st ETagStore) ClientOption {
	return func(o *clientOptions) { o.etags = st }
}

// WithClientLog sets the logger of the client's own failures (default:
// none); today those are the ETag store's.
func WithClientLog(log *slog.Logger) ClientOption {
	return func(o *clientOptions) { o.log = log }
}

// NewClient builds a client for cfg without any I/O (an App private key file
// is read here). httpClient supplies the base transport and the timeout of
// each attempt; nil means http.DefaultTransport and 30 seconds.
func NewClient(cfg *Config, httpClient *http.Client, opts ...ClientOption) (*Client, error) {
	o := clientOptions{now: time.Now, sleep: transport.Sleep}
	for _, opt := range opts {
		opt(&o)
	}
	base, timeout := http.DefaultTransport, 30*time.Second
	if httpClient != nil {
		if httpClient.Transport != nil {
			base = httpClient.Transport
		}
		if httpClient.Timeout > 0 {
			timeout = httpClient.Timeout
		}
	}
	c := &Client{sent: new(atomic.Int64)}
	counted := countingTransport{next: attemptTimeout{next: base, d: timeout}, n: c.sent}
	retrying := func(next http.RoundTripper) *transport.Transport {
		return transport.New(next, transport.Options{
			MaxWait: cfg.MaxWait.Or(DefaultMaxWait), Classify: classifier(o.now),
			Limiter: cfg.limiter(), Sleep: o.sleep, Now: o.now,
		})
	}
	g := &gate{now: o.now, sleep: o.sleep, maxWait: cfg.MaxWait.Or(DefaultMaxWait)}
	var src tokenSource = staticToken(cfg.Token.Reveal())
	if !cfg.Token.IsSet() {
		plain, err := newAPI(cfg, &http.Client{Transport: forgetful{retrying(g.wrap(counted))}})
		if err != nil {
			return nil, err
		}
		if c.app, err = newAppTokens(cfg.App, plain, o.now); err != nil {
			return nil, err
		}
		src = c.app
	}
	c.cache = newETagCache(retrying(g.wrap(authTransport{next: counted, src: src})))
	c.cache.now = o.now
	if o.log != nil {
		c.cache.log = o.log
	}
	if o.etags != nil {
		c.cache.persistTo(o.etags, cacheIdentity(cfg))
	}
	api, err := newAPI(cfg, &http.Client{Transport: forgetful{c.cache}})
	if err != nil {
		return nil, err
	}
	c.api = api
	return c, nil
}

// AppAPI is a client authenticated as the GitHub App itself (JWT), for the
// App's own endpoints such as its webhook's deliveries; it fails when the
// client uses a token.
func (c *Client) AppAPI() (*gh.Client, error) {
	if c.app == nil {
		return nil, errors.New("github: the App's own endpoints need [github.app], not a token")
	}
	return c.app.appAPI()
}

func newAPI(cfg *Config, hc *http.Client) (*gh.Client, error) {
	api := gh.NewClient(hc)
	if cfg.BaseURL == "" || strings.TrimSuffix(cfg.BaseURL, "/") == strings.TrimSuffix(DefaultBaseURL, "/") {
		return api, nil
	}
	api, err := api.WithEnterpriseURLs(cfg.BaseURL, cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("github base_url: %w", err)
	}
	return api, nil
}

// API returns the go-github client.
func (c *Client) API() *gh.Client { return c.api }

// ClientStats counts a client's requests.
type ClientStats struct {
	Sent        int64 // requests sent to GitHub, retries included
	NotModified int64 // answered 304 from the ETag cache
	StoreErrors int64 // ETag store calls that failed (the requests went on without it)
}

// Stats returns the request counters.
func (c *Client) Stats() ClientStats {
	return ClientStats{Sent: c.sent.Load(), NotModified: c.cache.notModified.Load(), StoreErrors: c.cache.storeErrors.Load()}
}

type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.next.RoundTrip(req)
}

// attemptTimeout bounds one attempt (the answer and reading its body).
type attemptTimeout struct {
	next http.RoundTripper
	d    time.Duration
}

func (a attemptTimeout) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), a.d)
	resp, err := a.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
