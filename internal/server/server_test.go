package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/metrics"
)

func newTestServer(ready map[string]ReadyCheck) *httptest.Server {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	s := New(Options{MaxBodyBytes: 1024}, map[string]http.Handler{"github": echo}, ready, metrics.New(), slog.New(slog.DiscardHandler))
	return httptest.NewServer(s.Handler())
}

func TestRoutes(t *testing.T) {
	failing := map[string]ReadyCheck{"store": func(context.Context) error { return nil }, "nats": func(context.Context) error { return errors.New("disconnected") }}
	tests := []struct {
		name, method, path, body string
		ready                    map[string]ReadyCheck
		want                     int
		wantBody                 string
	}{
		{"healthz", "GET", "/healthz", "", nil, 200, "ok"},
		{"readyz when ready", "GET", "/readyz", "", map[string]ReadyCheck{"store": func(context.Context) error { return nil }}, 200, "ready"},
		{"readyz names what is not ready", "GET", "/readyz", "", failing, 503, "nats: disconnected"},
		{"no metrics on the public listener", "GET", "/metrics", "", nil, 404, ""},
		{"no page on the public listener", "GET", "/", "", nil, 404, ""},
		{"webhook", "POST", "/webhooks/github", "{}", nil, 202, ""},
		{"webhook wrong method", "GET", "/webhooks/github", "", nil, 405, ""},
		{"webhook body over the limit", "POST", "/webhooks/github", strings.Repeat("x", 2048), nil, 413, ""},
		{"unknown source", "POST", "/webhooks/nope", "{}", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(tt.ready)
			defer ts.Close()
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want || !strings.Contains(string(b), tt.wantBody) {
				t.Fatalf("%s %s: %d %q, want %d containing %q", tt.method, tt.path, resp.StatusCode, b, tt.want, tt.wantBody)
			}
		})
	}
}

func TestChunkedBodyOverTheLimitIs413(t *testing.T) {
	ts := newTestServer(nil)
	defer ts.Close()
	pr, pw := io.Pipe()
	go func() { _, _ = io.WriteString(pw, strings.Repeat("y", 4096)); pw.Close() }()
	req, _ := http.NewRequest("POST", ts.URL+"/webhooks/github", pr) // no Content-Length
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
}

func TestRunShutsDownWithinTheTimeout(t *testing.T) {
	s := New(Options{Listen: "127.0.0.1:0", ShutdownTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second},
		nil, nil, nil, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	addr, err := s.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("server did not stop")
	}
}

// TestReadyzSaysDrainingWhileServing: a running server is ready; after
// Drain its /readyz is 503 with the reason in words while webhooks are
// still taken, until Run's context ends.
func TestReadyzSaysDrainingWhileServing(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	s := New(Options{Listen: "127.0.0.1:0", MaxBodyBytes: 1024, ShutdownTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second},
		map[string]http.Handler{"github": echo}, map[string]ReadyCheck{"store": func(context.Context) error { return nil }}, metrics.New(), slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	addr, err := s.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	get := func(method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("GET", "/readyz"); code != 200 {
		t.Fatalf("before Drain: %d %q, want 200", code, body)
	}
	s.Drain("shutting down")
	if code, body := get("GET", "/readyz"); code != 503 || !strings.Contains(body, "not ready: draining: shutting down") {
		t.Fatalf("after Drain: %d %q, want 503 naming the drain", code, body)
	}
	if code, _ := get("POST", "/webhooks/github"); code != 202 {
		t.Fatalf("webhook while draining: %d, want 202 (still taken until the listener closes)", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
