package linear

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/transport"
)

const clientTestKey = "lin_api_test_secret_value"

// scripted answers a fixed sequence of responses, recording each request.
type scripted struct {
	mu    sync.Mutex
	steps []func(w http.ResponseWriter)
	reqs  []*http.Request
	body  []string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := len(s.reqs)
	s.reqs = append(s.reqs, r)
	s.body = append(s.body, string(b))
	s.mu.Unlock()
	if i >= len(s.steps) {
		i = len(s.steps) - 1
	}
	s.steps[i](w)
}

func answer(status int, body string, hdr ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

var clientTestNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// newScriptedClient returns a client against srv with a fake sleep that records
// the waits asked for.
func newScriptedClient(t *testing.T, srv *httptest.Server, attempts int) (*Client, *[]time.Duration) {
	t.Helper()
	var waits []time.Duration
	var mu sync.Mutex
	c := NewClient(srv.URL, clientTestKey, WithBaseTransport(srv.Client().Transport), WithTransportOptions(transport.Options{
		MaxAttempts: attempts,
		Now:         func() time.Time { return clientTestNow },
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return ctx.Err()
		},
	}))
	return c, &waits
}

const rateLimitedBody = `{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED","type":"ratelimited","userPresentableMessage":"You are sending too many requests"}}]}`

func TestClientDo(t *testing.T) {
	resetMs := strconv.FormatInt(clientTestNow.Add(30*time.Second).UnixMilli(), 10)
	resetS := strconv.FormatInt(clientTestNow.Add(12*time.Second).Unix(), 10)
	ok := answer(200, `{"data":{"viewer":{"id":"u1","name":"Ada"}}}`)
	tests := []struct {
		name      string
		steps     []func(http.ResponseWriter)
		attempts  int
		wantCalls int
		wantWaits []time.Duration
		wantErr   func(t *testing.T, err error)
	}{
		{name: "ok", steps: steps(ok), wantCalls: 1},
		{
			name:      "RATELIMITED as http 400 is retried after the requests reset (ms)",
			steps:     steps(answer(400, rateLimitedBody, "X-RateLimit-Requests-Remaining", "0", "X-RateLimit-Requests-Reset", resetMs), ok),
			wantCalls: 2, wantWaits: []time.Duration{30 * time.Second},
		},
		{
			name:      "RATELIMITED complexity reset in seconds",
			steps:     steps(answer(400, rateLimitedBody, "X-RateLimit-Complexity-Remaining", "0", "X-RateLimit-Complexity-Reset", resetS, "X-RateLimit-Requests-Remaining", "100", "X-RateLimit-Requests-Reset", resetMs), ok),
			wantCalls: 2, wantWaits: []time.Duration{12 * time.Second},
		},
		{
			name:      "429 with Retry-After",
			steps:     steps(answer(429, `{"errors":[{"message":"too many"}]}`, "Retry-After", "7"), ok),
			wantCalls: 2, wantWaits: []time.Duration{7 * time.Second},
		},
		{
			name:      "5xx is retried",
			steps:     steps(answer(502, `<html>bad gateway</html>`, "Retry-After", "1"), ok),
			wantCalls: 2, wantWaits: []time.Duration{time.Second},
		},
		{
			name:      "rate limited until attempts run out",
			steps:     steps(answer(400, rateLimitedBody, "Retry-After", "3")),
			attempts:  3,
			wantCalls: 3, wantWaits: []time.Duration{3 * time.Second, 3 * time.Second},
			wantErr: func(t *testing.T, err error) {
				e := asError(t, err)
				if !e.IsRateLimited() || e.IsPermanent() || e.RetryAfter != 3*time.Second || e.Status != 400 {
					t.Errorf("got %+v, want rate limited, not permanent, retry after 3s", e)
				}
			},
		},
		{
			name:      "GraphQL error inside http 200 is not retried",
			steps:     steps(answer(200, `{"data":null,"errors":[{"message":"Entity not found","extensions":{"code":"INVALID_INPUT","type":"invalid input","userPresentableMessage":"Could not find referenced Issue."}},{"message":"second"}]}`)),
			wantCalls: 1,
			wantErr: func(t *testing.T, err error) {
				e := asError(t, err)
				if e.Code != "INVALID_INPUT" || !e.IsPermanent() || e.IsRateLimited() || e.More != 1 {
					t.Errorf("got %+v", e)
				}
				if !strings.Contains(err.Error(), "Could not find referenced Issue.") {
					t.Errorf("message %q lacks the user-presentable text", err)
				}
			},
		},
		{
			name:      "401 with a non-JSON body",
			steps:     steps(answer(401, `Unauthorized`)),
			wantCalls: 1,
			wantErr: func(t *testing.T, err error) {
				e := asError(t, err)
				if e.Code != "AUTHENTICATION_ERROR" || !e.IsPermanent() {
					t.Errorf("got %+v", e)
				}
			},
		},
		{
			name:      "200 without JSON",
			steps:     steps(answer(200, `not json`)),
			wantCalls: 1,
			wantErr: func(t *testing.T, err error) {
				var e *Error
				if err == nil || errors.As(err, &e) {
					t.Errorf("got %v, want a decode error", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &scripted{steps: tt.steps}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			attempts := tt.attempts
			if attempts == 0 {
				attempts = 5
			}
			c, waits := newScriptedClient(t, srv, attempts)
			var out struct {
				Viewer struct{ ID, Name string } `json:"viewer"`
			}
			err := c.Do(t.Context(), `query { viewer { id name } }`, map[string]any{"x": 1}, &out)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Do: %v", err)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatal("Do: want error")
				}
				tt.wantErr(t, err)
				if strings.Contains(err.Error(), clientTestKey) {
					t.Error("error leaks the API key")
				}
			} else if out.Viewer.Name != "Ada" {
				t.Errorf("decoded %+v", out)
			}
			if len(fake.reqs) != tt.wantCalls {
				t.Errorf("calls = %d, want %d", len(fake.reqs), tt.wantCalls)
			}
			if !equalDurations(*waits, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", *waits, tt.wantWaits)
			}
		})
	}
}

func TestClientRequestShape(t *testing.T) {
	fake := &scripted{steps: steps(answer(200, `{"data":{}}`))}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c, _ := newScriptedClient(t, srv, 1)
	if err := c.Do(t.Context(), `query Q($id: String!) { issue(id: $id) { id } }`, map[string]any{"id": "ENG-1"}, nil); err != nil {
		t.Fatal(err)
	}
	r := fake.reqs[0]
	if r.Method != http.MethodPost {
		t.Errorf("method %s", r.Method)
	}
	if got := r.Header.Get("Authorization"); got != clientTestKey {
		t.Errorf("Authorization = %q, want the bare key (no Bearer)", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	var body struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal([]byte(fake.body[0]), &body); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(body.Query, "query Q") || body.Variables["id"] != "ENG-1" {
		t.Errorf("body = %s", fake.body[0])
	}
}

func TestRateLimitWait(t *testing.T) {
	ms := func(d time.Duration) string { return strconv.FormatInt(clientTestNow.Add(d).UnixMilli(), 10) }
	sec := func(d time.Duration) string { return strconv.FormatInt(clientTestNow.Add(d).Unix(), 10) }
	tests := []struct {
		name string
		hdr  map[string]string
		want time.Duration
	}{
		{"none", nil, 0},
		{"retry-after wins", map[string]string{"Retry-After": "5", "X-RateLimit-Requests-Reset": ms(time.Minute)}, 5 * time.Second},
		{"requests reset in ms", map[string]string{"X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": ms(40 * time.Second)}, 40 * time.Second},
		{"complexity reset in seconds", map[string]string{"X-RateLimit-Complexity-Remaining": "0", "X-RateLimit-Complexity-Reset": sec(20 * time.Second)}, 20 * time.Second},
		{"exhausted budget preferred", map[string]string{
			"X-RateLimit-Requests-Remaining": "10", "X-RateLimit-Requests-Reset": ms(50 * time.Minute),
			"X-RateLimit-Endpoint-Requests-Remaining": "0", "X-RateLimit-Endpoint-Requests-Reset": ms(9 * time.Second),
		}, 9 * time.Second},
		{"no budget exhausted: latest reset", map[string]string{"X-RateLimit-Requests-Reset": ms(2 * time.Second), "X-RateLimit-Complexity-Reset": ms(4 * time.Second)}, 4 * time.Second},
		{"reset in the past: one second", map[string]string{"X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": ms(-time.Minute)}, time.Second},
		{"garbage", map[string]string{"X-RateLimit-Requests-Reset": "soon"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.hdr {
				h.Set(k, v)
			}
			if got := RateLimitWait(h, clientTestNow); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name                 string
		err                  Error
		rateLimited, permant bool
	}{
		{"ratelimited code", Error{Status: 400, Code: "RATELIMITED"}, true, false},
		{"ratelimited type only", Error{Status: 200, Type: "ratelimited"}, true, false},
		{"http 429", Error{Status: 429}, true, false},
		{"authentication", Error{Status: 400, Code: "AUTHENTICATION_ERROR"}, false, true},
		{"forbidden", Error{Status: 403, Code: "FORBIDDEN"}, false, true},
		{"invalid input", Error{Status: 200, Code: "INVALID_INPUT"}, false, true},
		{"internal", Error{Status: 200, Code: "INTERNAL_ERROR"}, false, false},
		{"lock timeout type", Error{Status: 200, Type: "lock timeout"}, false, false},
		{"http 503", Error{Status: 503}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.IsRateLimited(); got != tt.rateLimited {
				t.Errorf("IsRateLimited = %v", got)
			}
			if got := tt.err.IsPermanent(); got != tt.permant {
				t.Errorf("IsPermanent = %v", got)
			}
		})
	}
}

func steps(s ...func(http.ResponseWriter)) []func(http.ResponseWriter) { return s }

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *linear.Error", err, err)
	}
	return e
}

func equalDurations(a, b []time.Duration) bool {
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
