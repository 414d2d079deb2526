package linear

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/transport"
)

// DefaultEndpoint is Linear's GraphQL endpoint.
const DefaultEndpoint = "https://api.linear.app/graphql"

// maxResponse bounds one GraphQL response body.
const maxResponse = 32 << 20

// Client is a small typed GraphQL client for Linear's API. Every request
// goes through one transport.Transport with the Linear classifier, so rate
// limits (HTTP 429, or RATELIMITED GraphQL errors in an HTTP 400 or 200) and
// 5xx answers are retried, honouring Linear's reset headers, a bounded number
// of times. It is safe for concurrent use.
type Client struct {
	endpoint string
	key      secret.String
	http     *http.Client
	now      func() time.Time
}

// ClientOption configures a Client.
type ClientOption func(*clientConfig)

type clientConfig struct {
	base    http.RoundTripper
	topt    transport.Options
	timeout time.Duration
	hc      *http.Client
}

// WithBaseTransport sets the round tripper under the retrying transport
// (default http.DefaultTransport); tests pass an httptest server's.
func WithBaseTransport(rt http.RoundTripper) ClientOption {
	return func(c *clientConfig) { c.base = rt }
}

// WithTransportOptions replaces the retry options (attempts, waits, limiter,
// sleep, clock). A nil Classify is set to Classify.
func WithTransportOptions(o transport.Options) ClientOption {
	return func(c *clientConfig) { c.topt = o }
}

// WithTimeout bounds one Do call, retries included (default 2 minutes).
func WithTimeout(d time.Duration) ClientOption {
	return func(c *clientConfig) { c.timeout = d }
}

// WithHTTPClient uses hc as is, bypassing the retrying transport; for tests
// that want to see every raw answer.
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *clientConfig) { c.hc = hc }
}

// NewClient returns a client for endpoint ("" means DefaultEndpoint) that
// authenticates with a personal API key, sent as "Authorization: <key>"
// (no Bearer). It does no I/O.
func NewClient(endpoint string, apiKey secret.String, opts ...ClientOption) *Client {
	cc := clientConfig{
		timeout: 2 * time.Minute,
		// Linear allows 2,500 requests an hour per API key; keep well inside.
		topt: transport.Options{Limiter: rate.NewLimiter(rate.Limit(2500.0/3600.0), 60)},
	}
	for _, o := range opts {
		o(&cc)
	}
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	now := cc.topt.Now
	if now == nil {
		now = time.Now
	}
	hc := cc.hc
	if hc == nil {
		if cc.topt.Classify == nil {
			cc.topt.Classify = NewClassifier(now)
		}
		hc = transport.New(cc.base, cc.topt).Client(cc.timeout)
	}
	return &Client{endpoint: endpoint, key: apiKey, http: hc, now: now}
}

type gqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code                   string `json:"code"`
		Type                   string `json:"type"`
		UserPresentableMessage string `json:"userPresentableMessage"`
	} `json:"extensions"`
}

// Do sends one GraphQL operation and decodes its "data" into out (which may
// be nil). It blocks until the answer, retries included, or ctx ends.
// Rate limits and 5xx answers are retried inside; what is left is returned:
// a GraphQL error (even in an HTTP 200) or a non-2xx answer is a *Error
// (check IsRateLimited / IsPermanent); other errors are transport failures.
// Do is as idempotent as the operation: queries are, mutations only when
// the caller makes them so (e.g. a client-chosen id).
func (c *Client) Do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(gqlRequest{Query: query, Variables: vars})
	if err != nil {
		return fmt.Errorf("linear: encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("linear: build request: %w", err)
	}
	req.Header.Set("Authorization", c.key.Reveal())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "goalpost")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("linear: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("linear: read response: %w", err)
	}
	if len(raw) > maxResponse {
		return fmt.Errorf("linear: response larger than %d bytes", maxResponse)
	}
	return c.decodeResponse(resp, raw, out)
}

func (c *Client) decodeResponse(resp *http.Response, raw []byte, out any) error {
	var r gqlResponse
	jsonErr := json.Unmarshal(raw, &r)
	if len(r.Errors) > 0 {
		return newError(resp, r.Errors, c.now())
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &Error{
			Status:     resp.StatusCode,
			Code:       httpCode(resp.StatusCode),
			Message:    fmt.Sprintf("http %d", resp.StatusCode),
			RetryAfter: RateLimitWait(resp.Header, c.now()),
		}
	}
	if jsonErr != nil {
		return fmt.Errorf("linear: decode response: %w", jsonErr)
	}
	if out == nil {
		return nil
	}
	if len(r.Data) == 0 || string(r.Data) == "null" {
		return errors.New("linear: response has no data")
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		return fmt.Errorf("linear: decode data: %w", err)
	}
	return nil
}

func httpCode(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return CodeRateLimited
	case status == http.StatusUnauthorized:
		return "AUTHENTICATION_ERROR"
	case status == http.StatusForbidden:
		return "FORBIDDEN"
	case status >= 500:
		return "INTERNAL_ERROR"
	}
	return fmt.Sprintf("HTTP_%d", status)
}
