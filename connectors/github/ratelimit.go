package github

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/goalpost/goalpost/internal/transport"
)

// secondaryDefaultWait is how long to wait on a secondary rate limit that
// names no time: GitHub asks for at least a minute.
const secondaryDefaultWait = time.Minute

// classifier is the transport.Classifier for GitHub: it retries primary
// limits (403 or 429 with X-RateLimit-Remaining: 0, waiting until
// X-RateLimit-Reset), secondary limits (403 with Retry-After or a
// documentation_url about secondary limits, and every 429, which go-github v60
// would return as a plain *ErrorResponse) and 5xx. Other 403s (permissions)
// are final.
func classifier(now func() time.Time) transport.Classifier {
	return func(resp *http.Response, peek func() []byte) transport.Decision {
		switch resp.StatusCode {
		case http.StatusTooManyRequests, http.StatusForbidden:
			if !isRateLimit(resp, peek) {
				return transport.Decision{}
			}
			if transport.HintedWait(resp.Header, now()) == 0 {
				return transport.Decision{Retry: true, Wait: secondaryDefaultWait}
			}
			return transport.Decision{Retry: true} // the transport reads the hint
		}
		return transport.Default(resp, peek)
	}
}

// isRateLimit tells a rate-limit 403/429 from a permission 403.
func isRateLimit(resp *http.Response, peek func() []byte) bool {
	h := resp.Header
	if resp.StatusCode == http.StatusTooManyRequests || h.Get("Retry-After") != "" || h.Get("X-RateLimit-Remaining") == "0" {
		return true
	}
	body := peek()
	return bytes.Contains(body, []byte("secondary-rate-limits")) || bytes.Contains(body, []byte("abuse-rate-limits")) ||
		bytes.Contains(body, []byte("secondary rate limit"))
}

// gate holds every request back while GitHub has said to wait: after a
// response with X-RateLimit-Remaining: 0 until X-RateLimit-Reset, after a
// secondary limit until its Retry-After (a minute when unnamed). It is shared
// by all goroutines of a client, so one worker's rate limit pauses the others
// instead of letting them hit it too. A wait longer than maxWait, or past the
// request context's deadline, fails at once with *transport.WaitTooLongError.
type gate struct {
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	maxWait time.Duration

	mu     sync.Mutex
	until  time.Time
	status int
}

// wrap puts the gate in front of next. One gate may wrap several
// transports (API calls and App token requests share it).
func (g *gate) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if err := g.wait(req.Context()); err != nil {
			return nil, err
		}
		resp, err := next.RoundTrip(req)
		if err == nil {
			g.observe(resp)
		}
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	d, status := g.until.Sub(g.now()), g.status
	g.mu.Unlock()
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); d > g.maxWait || ok && g.now().Add(d).After(dl) {
		return &transport.WaitTooLongError{Status: status, Wait: d}
	}
	return g.sleep(ctx, d)
}

// observe records how long GitHub asked to wait.
func (g *gate) observe(resp *http.Response) {
	now := g.now()
	h := resp.Header
	var until time.Time
	switch {
	case h.Get("X-RateLimit-Remaining") == "0":
		if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			until = time.Unix(reset, 0)
		}
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests:
		if !isRateLimit(resp, peekBody(resp)) {
			return
		}
		until = now.Add(secondaryDefaultWait)
		if w := transport.HintedWait(h, now); w > 0 {
			until = now.Add(w)
		}
	}
	if until.After(now) {
		g.mu.Lock()
		if until.After(g.until) {
			g.until, g.status = until, resp.StatusCode
		}
		g.mu.Unlock()
	}
}

// peekBody returns a function reading up to 64 KiB of the body, leaving the
// body whole for the caller.
func peekBody(resp *http.Response) func() []byte {
	return func() []byte {
		if resp.Body == nil {
			return nil
		}
		buf, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), resp.Body), resp.Body}
		return buf
	}
}

// forgetful hides the rate-limit reset times from go-github. go-github v60
// remembers a response with X-RateLimit-Remaining: 0 (or a secondary limit's
// Retry-After) and then fails every later call locally, without asking
// GitHub, until that time; the gate below already waits exactly that long,
// so letting go-github remember as well would only turn waits into errors.
type forgetful struct{ next http.RoundTripper }

func (f forgetful) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := f.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" || resp.Header.Get("Retry-After") != "" {
		resp.Header = resp.Header.Clone()
		resp.Header.Del("X-RateLimit-Reset")
		resp.Header.Del("Retry-After")
	}
	return resp, nil
}
