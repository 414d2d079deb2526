package linear

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/goalpost/goalpost/internal/transport"
)

// CodeRateLimited is the extensions.code Linear gives throttled requests.
const CodeRateLimited = "RATELIMITED"

// Error is an error answered by Linear: a GraphQL error (first of errors[],
// possibly inside an HTTP 200) or a non-2xx HTTP answer without one.
type Error struct {
	Status  int    // HTTP status of the answer
	Code    string // extensions.code, e.g. RATELIMITED, AUTHENTICATION_ERROR, INVALID_INPUT
	Type    string // extensions.type, e.g. "ratelimited", "invalid input"
	Message string
	// More counts further GraphQL errors in the same answer.
	More int
	// RetryAfter is the wait the server hinted at (rate limits), or zero.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = e.Type
	}
	msg := fmt.Sprintf("linear: %s (http %d): %s", code, e.Status, e.Message)
	if e.More > 0 {
		msg += fmt.Sprintf(" (and %d more)", e.More)
	}
	return msg
}

// IsRateLimited reports whether Linear throttled the request (RATELIMITED
// or HTTP 429); retry after RetryAfter.
func (e *Error) IsRateLimited() bool {
	return strings.EqualFold(e.Code, CodeRateLimited) || strings.EqualFold(e.Type, "ratelimited") ||
		e.Status == http.StatusTooManyRequests
}

// IsPermanent reports whether retrying the same request cannot help
// (authentication, permission, invalid input, unknown entity, bad query).
// Rate limits, 5xx, internal errors and lock timeouts are not permanent.
func (e *Error) IsPermanent() bool {
	if e.IsRateLimited() || e.Status >= 500 || e.Status == http.StatusRequestTimeout {
		return false
	}
	for _, k := range []string{norm(e.Code), norm(e.Type)} {
		switch k {
		case "INTERNAL_ERROR", "INTERNAL_SERVER_ERROR", "LOCK_TIMEOUT", "NETWORK_ERROR":
			return false
		}
	}
	return true
}

// norm turns "lock timeout" and "LOCK_TIMEOUT" into the same key.
func norm(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", "_"))
}

func newError(resp *http.Response, errs []gqlError, now time.Time) *Error {
	first := errs[0]
	msg := first.Extensions.UserPresentableMessage
	if msg == "" {
		msg = first.Message
	}
	e := &Error{
		Status:  resp.StatusCode,
		Code:    first.Extensions.Code,
		Type:    first.Extensions.Type,
		Message: msg,
		More:    len(errs) - 1,
	}
	if e.Code == "" && e.Type != "" {
		e.Code = norm(e.Type)
	}
	if e.IsRateLimited() {
		e.RetryAfter = RateLimitWait(resp.Header, now)
	}
	return e
}

// NewClassifier is the transport.Classifier for Linear: it retries HTTP 429,
// a RATELIMITED GraphQL error in any answer (Linear sends them as HTTP 400),
// and 5xx, waiting for the time the rate-limit headers give, read against now.
func NewClassifier(now func() time.Time) transport.Classifier {
	return func(resp *http.Response, peek func() []byte) transport.Decision {
		if resp.StatusCode == http.StatusTooManyRequests || bodyRateLimited(resp, peek) {
			return transport.Decision{Retry: true, Wait: RateLimitWait(resp.Header, now())}
		}
		return transport.Default(resp, peek)
	}
}

func bodyRateLimited(resp *http.Response, peek func() []byte) bool {
	if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusOK {
		return false
	}
	var r struct {
		Errors []gqlError `json:"errors"`
	}
	if json.Unmarshal(peek(), &r) != nil {
		return false
	}
	for _, e := range r.Errors {
		if strings.EqualFold(e.Extensions.Code, CodeRateLimited) || strings.EqualFold(e.Extensions.Type, "ratelimited") {
			return true
		}
	}
	return false
}

// RateLimitWait reads how long Linear asked to wait: Retry-After, else the
// latest reset among the exhausted request / complexity / endpoint budgets
// (X-RateLimit-*-Reset, epoch seconds or milliseconds), else any reset
// given. Zero means no hint (use the default backoff).
func RateLimitWait(h http.Header, now time.Time) time.Duration {
	if d := transport.HintedWait(h, now); d > 0 {
		return d
	}
	var exhausted, anyReset time.Duration
	for _, kind := range []string{"Requests", "Complexity", "Endpoint-Requests"} {
		at, ok := resetAt(h.Get("X-RateLimit-" + kind + "-Reset"))
		if !ok {
			continue
		}
		d := max(at.Sub(now), time.Second)
		anyReset = max(anyReset, d)
		if h.Get("X-RateLimit-"+kind+"-Remaining") == "0" {
			exhausted = max(exhausted, d)
		}
	}
	if exhausted > 0 {
		return exhausted
	}
	return anyReset
}

func resetAt(v string) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	if n > 1e11 {
		return time.UnixMilli(n), true
	}
	return time.Unix(n, 0), true
}
