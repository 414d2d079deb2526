package githubfake

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RateLimitKind is a kind of rate-limit answer GitHub gives.
type RateLimitKind int

// The rate-limit answers a test can inject.
const (
	// Primary is 403 with X-RateLimit-Remaining: 0 and X-RateLimit-Reset.
	Primary RateLimitKind = iota + 1
	// Primary429 is the same with status 429 (go-github returns it as a plain
	// *ErrorResponse).
	Primary429
	// Secondary is 403 with Retry-After and a documentation_url ending in
	// #secondary-rate-limits.
	Secondary
	// SecondaryNoRetryAfter is 403 with only the documentation_url: clients
	// must wait at least a minute.
	SecondaryNoRetryAfter
	// TooManyRequests is 429 with Retry-After (a secondary limit that
	// go-github returns as a plain *ErrorResponse).
	TooManyRequests
)

const (
	primaryDoc   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits"
	secondaryDoc = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// RateLimitResponse is an injected rate-limit answer.
type RateLimitResponse struct {
	Kind RateLimitKind
	// Times is how many matching requests get it (default 1).
	Times int
	// PathPrefix limits it to requests whose path starts with it ("" = any).
	PathPrefix string
	// RetryAfter is the Retry-After value for secondary limits and 429s
	// (default 1s; whole seconds).
	RetryAfter time.Duration
	// ResetIn sets X-RateLimit-Reset for primary limits (default 1s from now).
	ResetIn time.Duration
}

// InjectRateLimit makes the next matching requests answer with rl instead of
// being served. Injected answers do not use quota.
func (f *Fake) InjectRateLimit(rl RateLimitResponse) {
	if rl.Times <= 0 {
		rl.Times = 1
	}
	if rl.RetryAfter <= 0 {
		rl.RetryAfter = time.Second
	}
	if rl.ResetIn <= 0 {
		rl.ResetIn = time.Second
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.injected = append(f.injected, &rl)
}

// quota is the primary rate limit: limit requests per hourly window.
type quota struct {
	limit int
	used  int
	reset time.Time
}

func (q *quota) roll(now time.Time) {
	if q.reset.IsZero() || !now.Before(q.reset) {
		q.used = 0
		q.reset = now.Add(time.Hour).Truncate(time.Second)
	}
}

func (q *quota) setHeaders(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(q.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(q.limit-q.used, 0)))
	h.Set("X-RateLimit-Used", strconv.Itoa(q.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(q.reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

// limited answers the request with an injected or a primary rate limit, and
// reports whether it did.
func (f *Fake) limited(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	now := f.now()
	f.quota.roll(now)
	var rl *RateLimitResponse
	for i, c := range f.injected {
		if strings.HasPrefix(r.URL.Path, c.PathPrefix) {
			rl = c
			if c.Times--; c.Times == 0 {
				f.injected = append(f.injected[:i], f.injected[i+1:]...)
			}
			break
		}
	}
	exhausted := f.quota.used >= f.quota.limit
	q := f.quota
	f.mu.Unlock()
	switch {
	case rl != nil:
		writeRateLimit(w, *rl, q, now)
		return true
	case exhausted:
		q.setHeaders(w.Header())
		writeErrorDoc(w, http.StatusForbidden, "API rate limit exceeded for user ID 1.", primaryDoc)
		return true
	}
	return false
}

func writeRateLimit(w http.ResponseWriter, rl RateLimitResponse, q quota, now time.Time) {
	h := w.Header()
	secs := strconv.Itoa(int(rl.RetryAfter.Round(time.Second) / time.Second))
	switch rl.Kind {
	case Primary, Primary429:
		q.used, q.reset = q.limit, now.Add(rl.ResetIn)
		q.setHeaders(h)
		status := http.StatusForbidden
		if rl.Kind == Primary429 {
			status = http.StatusTooManyRequests
		}
		writeErrorDoc(w, status, "API rate limit exceeded for user ID 1.", primaryDoc)
	case Secondary:
		q.setHeaders(h)
		h.Set("Retry-After", secs)
		writeErrorDoc(w, http.StatusForbidden, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", secondaryDoc)
	case SecondaryNoRetryAfter:
		q.setHeaders(h)
		writeErrorDoc(w, http.StatusForbidden, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", secondaryDoc)
	default: // TooManyRequests
		q.setHeaders(h)
		h.Set("Retry-After", secs)
		writeErrorDoc(w, http.StatusTooManyRequests, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", secondaryDoc)
	}
}

// spend uses one request of quota (unless the answer is a 304) and sets the
// rate-limit headers on w.
func (f *Fake) spend(w http.ResponseWriter, notModified bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.quota.roll(f.now())
	if !notModified {
		f.quota.used++
	}
	f.quota.setHeaders(w.Header())
}
