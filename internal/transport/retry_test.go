package transport

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// script is a server that answers from a list of (status, headers) and
// records the bodies it received.
type script struct {
	mu     sync.Mutex
	steps  []step
	bodies []string
}

type step struct {
	status int
	header map[string]string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bodies = append(s.bodies, string(b))
	st := step{status: 200}
	if len(s.steps) > 0 {
		st, s.steps = s.steps[0], s.steps[1:]
	}
	for k, v := range st.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(st.status)
	_, _ = io.WriteString(w, "body-"+strconv.Itoa(st.status))
}

func TestTransportRetries(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name       string
		steps      []step
		opt        Options
		wantStatus int
		wantErr    string
		wantCalls  int
		wantWaits  []time.Duration
	}{
		{"429 honours Retry-After", []step{{429, map[string]string{"Retry-After": "7"}}, {200, nil}}, Options{}, 200, "", 2, []time.Duration{7 * time.Second}},
		{"529 is retried", []step{{529, map[string]string{"Retry-After": "1"}}, {200, nil}}, Options{}, 200, "", 2, []time.Duration{time.Second}},
		{"primary limit waits for the reset", []step{{403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Unix()+42, 10)}}, {200, nil}}, Options{}, 200, "", 2, []time.Duration{42 * time.Second}},
		{"reset in milliseconds", []step{{429, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.UnixMilli()+5000, 10)}}, {200, nil}}, Options{}, 200, "", 2, []time.Duration{5 * time.Second}},
		{"a plain 403 is not retried", []step{{403, nil}}, Options{}, 403, "", 1, nil},
		{"400 is not retried", []step{{400, nil}}, Options{}, 400, "", 1, nil},
		{"attempts are bounded", []step{{503, nil}, {503, nil}, {503, nil}}, Options{MaxAttempts: 3, BaseBackoff: time.Second}, 503, "", 3, nil},
		{"an absurd Retry-After does not overflow", []step{{429, map[string]string{"Retry-After": "99999999999"}}}, Options{MaxWait: time.Minute}, 0, "exceeds the allowed wait", 1, nil},
		{"a wait above MaxWait fails fast", []step{{429, map[string]string{"Retry-After": "3600"}}}, Options{MaxWait: time.Minute}, 0, "exceeds the allowed wait", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &script{steps: tt.steps}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			var waits []time.Duration
			opt := tt.opt
			opt.Now = func() time.Time { return now }
			opt.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			c := New(nil, opt).Client(5 * time.Second)
			req, _ := http.NewRequest(http.MethodPost, ts.URL, strings.NewReader(`{"n":1}`))
			resp, err := c.Do(req)
			if tt.wantErr != "" {
				var wtl *WaitTooLongError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &wtl) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantStatus || string(b) != "body-"+strconv.Itoa(tt.wantStatus) {
					t.Fatalf("status %d body %q", resp.StatusCode, b)
				}
			}
			if len(srv.bodies) != tt.wantCalls {
				t.Fatalf("%d calls, want %d", len(srv.bodies), tt.wantCalls)
			}
			for i, b := range srv.bodies {
				if b != `{"n":1}` {
					t.Fatalf("attempt %d sent body %q: bodies must be rebuilt on retry", i+1, b)
				}
			}
			if tt.wantWaits != nil && !equal(waits, tt.wantWaits) {
				t.Fatalf("waits %v, want %v", waits, tt.wantWaits)
			}
		})
	}
}

func TestBackoffWithoutHintIsBoundedAndGrows(t *testing.T) {
	tr := New(nil, Options{BaseBackoff: time.Second, MaxWait: 8 * time.Second})
	for attempt, max := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		d := tr.backoff(attempt + 1)
		if d < max/2 || d > max {
			t.Fatalf("attempt %d: backoff %s outside [%s, %s]", attempt+1, d, max/2, max)
		}
	}
}

func TestSleepHonoursContext(t *testing.T) {
	ts := httptest.NewServer(&script{steps: []step{{503, map[string]string{"Retry-After": "30"}}}})
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL, nil)
	start := time.Now()
	_, err := New(nil, Options{}).Client(time.Minute).Do(req)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %s: a cancelled context must end the wait", err, time.Since(start))
	}
}

func TestClassifierCanPeekTheBody(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"errors":[{"extensions":{"code":"RATELIMITED"}}]}`)
	}))
	defer ts.Close()
	calls := 0
	classify := func(resp *http.Response, peek func() []byte) Decision {
		calls++
		return Decision{Retry: strings.Contains(string(peek()), "RATELIMITED") && calls < 2, Wait: time.Millisecond}
	}
	resp, err := New(nil, Options{Classify: classify}).Client(time.Second).Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if calls != 2 || !strings.Contains(string(b), "RATELIMITED") {
		t.Fatalf("calls %d body %q: the caller must still read the whole body after a peek", calls, b)
	}
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWithAttemptsBoundsTheTries(t *testing.T) {
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close() // nothing listens there any more: every try is a network error
	tests := []struct {
		name      string
		ctx       func(context.Context) context.Context
		url       func(up string) string
		wantTries int
	}{
		{"503s take the transport's bound", func(c context.Context) context.Context { return c }, func(up string) string { return up }, 5},
		{"503s take the caller's lower bound", func(c context.Context) context.Context { return WithAttempts(c, 2) }, func(up string) string { return up }, 2},
		{"a higher bound than the transport's is ignored", func(c context.Context) context.Context { return WithAttempts(c, 9) }, func(up string) string { return up }, 5},
		{"network errors take the caller's bound", func(c context.Context) context.Context { return WithAttempts(c, 2) }, func(string) string { return refusedURL }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &script{steps: []step{{503, nil}, {503, nil}, {503, nil}, {503, nil}, {503, nil}, {503, nil}}}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			sleeps := 0
			c := New(nil, Options{Sleep: func(context.Context, time.Duration) error { sleeps++; return nil }}).Client(5 * time.Second)
			req, _ := http.NewRequestWithContext(tt.ctx(t.Context()), http.MethodGet, tt.url(ts.URL), nil)
			if resp, err := c.Do(req); err == nil {
				resp.Body.Close()
			}
			if tries := sleeps + 1; tries != tt.wantTries {
				t.Fatalf("%d tries, want %d", tries, tt.wantTries)
			}
		})
	}
}
