package jira

import (
	"net/http"
	"testing"
	"time"
)

func TestClassifier(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		status    int
		hdr       map[string]string
		wantRetry bool
		wantWait  time.Duration
	}{
		{"ok", 200, nil, false, 0},
		{"not found", 404, nil, false, 0},
		{"gone", 410, nil, false, 0},
		{"429 with Retry-After leaves the wait to the transport", 429, map[string]string{"Retry-After": "7"}, true, 0},
		{"429 with an ISO reset", 429, map[string]string{"X-RateLimit-Reset": "2026-03-02T10:02Z"}, true, 2 * time.Minute},
		{"503 with a reset in the past", 503, map[string]string{"X-RateLimit-Reset": "2026-03-02T09:59Z"}, true, time.Second},
		{"500 without hints", 500, nil, true, 0},
	}
	c := classifier(func() time.Time { return now })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}}
			for k, v := range tt.hdr {
				resp.Header.Set(k, v)
			}
			d := c(resp, func() []byte { return nil })
			if d.Retry != tt.wantRetry || d.Wait != tt.wantWait {
				t.Errorf("got %+v, want retry %v wait %v", d, tt.wantRetry, tt.wantWait)
			}
		})
	}
}
