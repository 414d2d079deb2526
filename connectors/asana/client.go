package asana

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

// maxResponse bounds one response body.
const maxResponse = 32 << 20

// Client is a small REST client for Asana's API: bearer token, the
// {"data": …} envelope, offset pagination, and one transport.Transport
// that spaces requests under the token's per-minute limit and retries 429
// (honouring Retry-After) and 5xx a bounded number of times. It is safe for
// concurrent use.
type Client struct {
	base  string
	token secret.String
	http  *http.Client
	now   func() time.Time
}

// ClientOption configures a Client.
type ClientOption func(*clientConfig)

type clientConfig struct {
	base    http.RoundTripper
	topt    transport.Options
	timeout time.Duration
}

// WithBaseTransport sets the round tripper under the retrying transport.
func WithBaseTransport(rt http.RoundTripper) ClientOption {
	return func(c *clientConfig) { c.base = rt }
}

// WithTransportOptions replaces the retry options (attempts, waits,
// limiter, sleep, clock).
func WithTransportOptions(o transport.Options) ClientOption {
	return func(c *clientConfig) { c.topt = o }
}

// NewClient returns a client for base ("" means DefaultBaseURL) spending at
// most perMinute requests a minute (0: DefaultRequestsPerMinute). It does
// no I/O.
func NewClient(base string, token secret.String, perMinute int, opts ...ClientOption) *Client {
	if perMinute <= 0 {
		perMinute = DefaultRequestsPerMinute
	}
	cc := clientConfig{timeout: 2 * time.Minute,
		topt: transport.Options{Limiter: rate.NewLimiter(rate.Limit(float64(perMinute)/60), max(1, perMinute/10))}}
	for _, o := range opts {
		o(&cc)
	}
	if base == "" {
		base = DefaultBaseURL
	}
	now := cc.topt.Now
	if now == nil {
		now = time.Now
	}
	if cc.topt.Classify == nil {
		cc.topt.Classify = classify
	}
	return &Client{base: strings.TrimRight(base, "/"), token: token, http: transport.New(cc.base, cc.topt).Client(cc.timeout), now: now}
}

// classify retries 429 (Asana did not act on the request) for every
// method, and 5xx only for reads: a write that failed with a 5xx may have
// happened, and is retried by its owner (the outbox), which checks first.
func classify(resp *http.Response, peek func() []byte) transport.Decision {
	if resp.StatusCode >= 500 && resp.Request != nil && resp.Request.Method != http.MethodGet {
		return transport.Decision{}
	}
	return transport.Default(resp, peek)
}

// Error is a non-2xx answer from Asana.
type Error struct {
	Status     int
	Message    string // the first errors[].message
	RetryAfter time.Duration
}

func (e *Error) Error() string { return fmt.Sprintf("asana: http %d: %s", e.Status, e.Message) }

// Permanent reports whether retrying cannot help: any 4xx but 408 and 429.
func (e *Error) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests && e.Status != http.StatusRequestTimeout
}

// Wait is the wait Asana asked for (Retry-After), or zero.
func (e *Error) Wait() time.Duration { return e.RetryAfter }

// IsStatus reports whether err is an Asana answer with the given status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

type envelope struct {
	Data     json.RawMessage `json:"data"`
	NextPage *struct {
		Offset string `json:"offset"`
	} `json:"next_page"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

// Get reads path with query q into out (the "data" member) and returns the
// next page's offset ("" on the last page). It is idempotent.
func (c *Client) Get(ctx context.Context, path string, q url.Values, out any) (next string, err error) {
	env, err := c.do(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return "", err
	}
	if env.NextPage != nil {
		next = env.NextPage.Offset
	}
	return next, decodeData(env, out)
}

// Post sends {"data": body} to path and decodes the answer's data into out
// (nil: ignored). It is as idempotent as the endpoint.
func (c *Client) Post(ctx context.Context, path string, body, out any) error {
	env, err := c.do(ctx, http.MethodPost, path, nil, map[string]any{"data": body})
	if err != nil {
		return err
	}
	return decodeData(env, out)
}

// Delete deletes path. It is idempotent.
func (c *Client) Delete(ctx context.Context, path string) error {
	_, err := c.do(ctx, http.MethodDelete, path, nil, nil)
	return err
}

func decodeData(env *envelope, out any) error {
	if out == nil {
		return nil
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return fmt.Errorf("asana: response has no data")
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("asana: decode data: %w", err)
	}
	return nil
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body any) (*envelope, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("asana: encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("asana: build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "goalpost")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("asana: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("asana: read response: %w", err)
	}
	if len(raw) > maxResponse {
		return nil, fmt.Errorf("asana: response larger than %d bytes", maxResponse)
	}
	var env envelope
	jsonErr := json.Unmarshal(raw, &env)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Status: resp.StatusCode, Message: http.StatusText(resp.StatusCode),
			RetryAfter: transport.HintedWait(resp.Header, c.now())}
		if len(env.Errors) > 0 {
			e.Message = env.Errors[0].Message
		}
		return nil, e
	}
	if jsonErr != nil && len(raw) > 0 {
		return nil, fmt.Errorf("asana: decode response: %w", jsonErr)
	}
	return &env, nil
}
