package notionfake

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/time/rate"
)

// EnforceRate makes the fake answer 429 rate_limited (Retry-After: 1) to
// requests above rps on average with the given burst, like Notion's
// per-integration limit. rps <= 0 turns it off.
func (s *Server) EnforceRate(rps float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rps <= 0 {
		s.limiter = nil
		return
	}
	s.limiter = rate.NewLimiter(rate.Limit(rps), max(burst, 1))
}

// Fault is an injected failure answered instead of the real handler.
type Fault struct {
	Method string // "" matches any method
	Path   string // a path prefix, e.g. "/v1/pages/"; "" matches any
	Status int    // e.g. 429, 529, 500, 502, 503
	// Code is the error code in the body (default by status: rate_limited,
	// service_overload, internal_server_error, service_unavailable, ...).
	Code string
	// RetryAfter, when set, is sent as the Retry-After header in seconds.
	RetryAfter *int
	// HTML sends a non-JSON HTML body, like a proxy's 502 page.
	HTML bool
	// Times is how many matching requests fail (default 1).
	Times int
}

// Inject queues f; faults are consumed in the order they were injected.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// RateLimitNext makes the next n requests answer 429 rate_limited with
// Retry-After: retryAfter seconds.
func (s *Server) RateLimitNext(n, retryAfter int) {
	s.Inject(Fault{Status: 429, RetryAfter: &retryAfter, Times: n})
}

func (s *Server) takeFault(r *http.Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Method == "" || f.Method == r.Method) && strings.HasPrefix(r.URL.Path, f.Path) {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			cp := *f
			return &cp
		}
	}
	return nil
}

func (f *Fault) write(c *call) {
	if f.RetryAfter != nil {
		c.w.Header().Set("Retry-After", strconv.Itoa(*f.RetryAfter))
	}
	if f.HTML {
		c.status = f.Status
		c.w.Header().Set("Content-Type", "text/html")
		c.w.WriteHeader(f.Status)
		_, _ = fmt.Fprintf(c.w, "<html><body><h1>%d %s</h1></body></html>", f.Status, http.StatusText(f.Status))
		return
	}
	code := f.Code
	if code == "" {
		code = defaultCode(f.Status)
	}
	c.fail(f.Status, code, "Injected failure: "+code+".")
}

func defaultCode(status int) string {
	switch status {
	case 429:
		return "rate_limited"
	case 529:
		return "service_overload"
	case 409:
		return "conflict_error"
	case 503:
		return "service_unavailable"
	case 504:
		return "gateway_timeout"
	case 401:
		return "unauthorized"
	case 403:
		return "restricted_resource"
	case 404:
		return "object_not_found"
	case 400:
		return "validation_error"
	}
	return "internal_server_error"
}
