package trello

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/transport"
)

const maxResponse = 32 << 20

// Client is a small REST client for Trello's API. Key and token go in the
// Authorization header (never in URLs, which end up in logs). Trello sends
// no rate-limit headers, so requests are spaced by a token bucket under the
// per-token limit, and a 429 is retried with backoff a bounded number of
// times. It is safe for concurrent use.
type Client struct {
	base       string
	key, token secret.String
	http       *http.Client
}

// ClientOption configures a Client.
type ClientOption func(*clientConfig)

type clientConfig struct {
	base http.RoundTripper
	topt transport.Options
}

// WithBaseTransport sets the round tripper under the retrying transport.
func WithBaseTransport(rt http.RoundTripper) ClientOption {
	return func(c *clientConfig) { c.base = rt }
}

// WithTransportOptions replaces the retry options.
func WithTransportOptions(o transport.Options) ClientOption {
	return func(c *clientConfig) { c.topt = o }
}

// NewClient returns a client for base ("" means DefaultBaseURL) spending
// at most per10s requests per 10 seconds (0: DefaultRequestsPer10s). It
// does no I/O.
func NewClient(base string, key, token secret.String, per10s int, opts ...ClientOption) *Client {
	if per10s <= 0 {
		per10s = DefaultRequestsPer10s
	}
	cc := clientConfig{topt: transport.Options{Limiter: rate.NewLimiter(rate.Limit(float64(per10s)/10), max(1, per10s/10))}}
	for _, o := range opts {
		o(&cc)
	}
	if base == "" {
		base = DefaultBaseURL
	}
	return &Client{base: strings.TrimRight(base, "/"), key: key, token: token, http: transport.New(cc.base, cc.topt).Client(2 * time.Minute)}
}

// Error is a non-2xx answer from Trello.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("trello: http %d: %s", e.Status, e.Message) }

// Permanent reports whether retrying cannot help: any 4xx but 408 and 429.
func (e *Error) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests && e.Status != http.StatusRequestTimeout
}

// IsStatus reports whether err is a Trello answer with the given status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// Get reads path with query q into out. It is idempotent.
func (c *Client) Get(ctx context.Context, path string, q url.Values, out any) error {
	return c.do(ctx, http.MethodGet, path, q, nil, out)
}

// Post sends body as JSON to path and decodes the answer into out (nil:
// ignored).
func (c *Client) Post(ctx context.Context, path string, body, out any) error {
	return c.do(ctx, http.MethodPost, path, nil, body, out)
}

// Put updates path with query q and decodes the answer into out (nil:
// ignored). Trello takes an update's fields as query parameters.
func (c *Client) Put(ctx context.Context, path string, q url.Values, out any) error {
	return c.do(ctx, http.MethodPut, path, q, nil, out)
}

// tokenInPath in a path stands for the token (GET /tokens/{token}/webhooks):
// it is put in only when the request is built; errors show the
// placeholder.
const tokenInPath = "{token}"

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	u := c.base + strings.Replace(path, tokenInPath, url.PathEscape(c.token.Reveal()), 1)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("trello: encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("trello: build request: %w", err)
	}
	req.Header.Set("Authorization", fmt.Sprintf(`OAuth oauth_consumer_key="%s", oauth_token="%s"`, c.key.Reveal(), c.token.Reveal()))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "goalpost")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error // its message holds the URL, which may hold the token
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("trello: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("trello: read response: %w", err)
	}
	if len(raw) > maxResponse {
		return fmt.Errorf("trello: response larger than %d bytes", maxResponse)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &Error{Status: resp.StatusCode, Message: errMessage(raw, resp.StatusCode)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("trello: decode response: %w", err)
	}
	return nil
}

// errMessage is Trello's error text: {"message"} or {"error"} in JSON, or
// a short plain-text body ("invalid token", "unauthorized card
// permission requested").
func errMessage(raw []byte, status int) string {
	var j struct{ Error, Message string }
	if json.Unmarshal(raw, &j) == nil && (j.Message != "" || j.Error != "") {
		return strings.TrimSpace(j.Error + " " + j.Message)
	}
	if s := strings.TrimSpace(string(raw)); s != "" && len(s) < 200 {
		return s
	}
	return http.StatusText(status)
}
