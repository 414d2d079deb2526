package slack

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/secret"
)

const secretPath = "/services/T000/B000/XXXXSECRETXXXX"

// hook answers like an incoming webhook: a scripted status per request with
// Slack's error code as the body, 200 "ok" once the script ends.
func hook(t *testing.T, script ...int) (*Webhook, *[]time.Duration) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != secretPath || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		status := http.StatusOK
		if len(script) > 0 {
			status, script = script[0], script[1:]
		}
		codes := map[int]string{200: "ok", 404: "no_service", 410: "channel_is_archived", 403: "action_prohibited", 429: "rate_limited"}
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, codes[status])
	}))
	t.Cleanup(srv.Close)
	var waits []time.Duration
	sleep := func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	return NewWebhook(secret.String(srv.URL+secretPath), nil, WithSleep(sleep), WithLimiter(nil)), &waits
}

func TestWebhookPost(t *testing.T) {
	msg := Message{Text: "hi", Blocks: []Block{Section("hi")}}
	for _, tc := range []struct {
		name      string
		script    []int
		want      string // in the error; "" for success
		permanent bool
		waits     int
	}{
		{name: "accepted", script: nil},
		{name: "rate limited, then accepted", script: []int{429}, waits: 1},
		{name: "server error, then accepted", script: []int{502}, waits: 1},
		{name: "revoked webhook", script: []int{404}, want: "status 404: no_service", permanent: true},
		{name: "archived channel", script: []int{410}, want: "channel_is_archived", permanent: true},
		{name: "prohibited", script: []int{403}, want: "action_prohibited", permanent: true},
		{name: "server keeps failing", script: []int{500, 500, 500, 500, 500}, want: "status 500", waits: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, waits := hook(t, tc.script...)
			err := w.Post(t.Context(), msg)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var p interface{ Permanent() bool }
			if got := errors.As(err, &p) && p.Permanent(); got != tc.permanent {
				t.Errorf("permanent = %v, want %v", got, tc.permanent)
			}
			if len(*waits) != tc.waits {
				t.Errorf("waits = %v, want %d", *waits, tc.waits)
			}
			if err != nil && strings.Contains(err.Error(), "XXXXSECRETXXXX") {
				t.Errorf("error reveals the webhook URL: %v", err)
			}
		})
	}
}

func TestWebhookNetworkErrorHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL + secretPath
	srv.Close() // connection refused
	noSleep := func(context.Context, time.Duration) error { return nil }
	w := NewWebhook(secret.String(u), nil, WithSleep(noSleep), WithRetries(2), WithLimiter(nil))
	err := w.Post(t.Context(), Message{Text: "hi", Blocks: []Block{Section("hi")}})
	if err == nil || strings.Contains(err.Error(), "XXXXSECRETXXXX") {
		t.Fatalf("err = %v", err)
	}
}
