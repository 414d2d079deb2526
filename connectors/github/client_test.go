package github

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestBaseURL(t *testing.T) {
	cases := []struct{ base, want string }{
		{"", "https://api.github.com/"},
		{"https://api.github.com", "https://api.github.com/"},
		{"https://ghe.example.com", "https://ghe.example.com/api/v3/"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/"},
	}
	for _, tc := range cases {
		c, err := NewClient(&Config{BaseURL: tc.base, Token: "x"}, nil)
		must(t, err)
		if got := c.API().BaseURL.String(); got != tc.want {
			t.Errorf("base_url %q: %s, want %s", tc.base, got, tc.want)
		}
	}
}

// TestGoGitHubNeverFailsLocally: after an answer with X-RateLimit-Remaining
// 0, go-github v60 would refuse the next call without sending it until the
// reset; the client waits for the reset instead and then sends it.
func TestGoGitHubNeverFailsLocally(t *testing.T) {
	reset := time.Now().Add(10 * time.Minute)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		remaining := "0"
		if n > 1 {
			remaining = "4999"
		}
		w.Header().Set("X-RateLimit-Remaining", remaining)
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(reset.Unix()))
		fmt.Fprint(w, `{"full_name":"acme/api","default_branch":"main"}`)
	}))
	defer srv.Close()
	var slept time.Duration
	c, err := NewClient(&Config{BaseURL: srv.URL, Token: "x"}, nil, WithSleep(func(_ context.Context, d time.Duration) error {
		slept += d
		return nil
	}))
	must(t, err)
	for range 2 {
		if _, _, err := c.API().Repositories.Get(context.Background(), "acme", "api"); err != nil {
			t.Fatalf("call failed: %v", err)
		}
	}
	if hits.Load() != 2 || slept < 9*time.Minute {
		t.Fatalf("%d requests sent, waited %v; want 2 and a wait until the reset", hits.Load(), slept)
	}
}

func TestAttemptTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	c, err := NewClient(&Config{BaseURL: srv.URL, Token: "x"}, &http.Client{Timeout: 50 * time.Millisecond},
		WithSleep(func(context.Context, time.Duration) error { return nil }))
	must(t, err)
	start := time.Now()
	if _, _, err := c.API().Repositories.Get(context.Background(), "acme", "api"); err == nil {
		t.Fatal("hanging server did not time out")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v", d)
	}
}
