package confval

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestFixFor(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	_, refused := http.Get(closed.URL)
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(200 * time.Millisecond) }))
	defer slow.Close()
	_, timedOut := (&http.Client{Timeout: time.Millisecond}).Get(slow.URL)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"an answer: the service's fix", errors.New("github: 403 Resource not accessible by integration"), "grant read"},
		{"connection refused", refused, unreachableFix},
		{"no such host", &net.DNSError{Err: "no such host", Name: "api.example.invalid", IsNotFound: true}, unreachableFix},
		{"client timeout", timedOut, unreachableFix},
		{"deadline, wrapped", errors.Join(errors.New("jira: GET myself"), context.DeadlineExceeded), unreachableFix},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("the case's error did not happen")
			}
			if got := FixFor(tt.err, "grant read"); got != tt.want {
				t.Errorf("FixFor(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}
