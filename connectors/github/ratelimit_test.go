package github

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/transport"
)

func TestClassifier(t *testing.T) {
	now := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   transport.Decision
	}{
		{"permission 403", 403, nil, `{"message":"Resource not accessible by integration"}`, transport.Decision{}},
		{"secondary 403 by documentation_url", 403, nil, `{"documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`, transport.Decision{Retry: true, Wait: time.Minute}},
		{"legacy abuse 403", 403, nil, `{"documentation_url":"https://developer.github.com/v3/#abuse-rate-limits"}`, transport.Decision{Retry: true, Wait: time.Minute}},
		{"secondary 403 with Retry-After", 403, map[string]string{"Retry-After": "30"}, `{}`, transport.Decision{Retry: true}},
		{"primary 403", 403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1782864000"}, `{}`, transport.Decision{Retry: true}},
		{"plain 429", 429, nil, `{}`, transport.Decision{Retry: true, Wait: time.Minute}},
		{"429 with Retry-After", 429, map[string]string{"Retry-After": "5"}, `{}`, transport.Decision{Retry: true}},
		{"502", 502, nil, ``, transport.Decision{Retry: true}},
		{"404", 404, nil, `{"message":"Not Found"}`, transport.Decision{}},
		{"304", 304, nil, ``, transport.Decision{}},
	}
	classify := classifier(func() time.Time { return now })
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}, Body: io.NopCloser(bytes.NewBufferString(tc.body))}
			for k, v := range tc.header {
				resp.Header.Set(k, v)
			}
			if got := classify(resp, peekBody(resp)); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if b, _ := io.ReadAll(resp.Body); string(b) != tc.body {
				t.Fatalf("body consumed: %q", b)
			}
		})
	}
}
