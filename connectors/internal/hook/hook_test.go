package hook

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/pipeline/event"
)

func TestVerify(t *testing.T) {
	// GitHub's documented test vector.
	secret, body := []byte("It's a Secret to Everybody"), []byte("Hello, World!")
	const want = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	tests := []struct {
		name string
		ok   bool
		fn   func() bool
	}{
		{"hex", true, func() bool { return VerifyHex(secret, body, want) }},
		{"hex upper case", true, func() bool { return VerifyHex(secret, body, strings.ToUpper(want)) }},
		{"prefixed", true, func() bool { return VerifyPrefixed(secret, body, "sha256="+want) }},
		{"missing prefix", false, func() bool { return VerifyPrefixed(secret, body, want) }},
		{"sha1 prefix", false, func() bool { return VerifyPrefixed(secret, body, "sha1="+want) }},
		{"empty", false, func() bool { return VerifyHex(secret, body, "") }},
		{"not hex", false, func() bool { return VerifyHex(secret, body, "zz") }},
		{"other body", false, func() bool { return VerifyHex(secret, []byte("Hello"), want) }},
		{"other secret", false, func() bool { return VerifyHex([]byte("x"), body, want) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.fn(); got != tt.ok {
				t.Fatalf("got %v, want %v", got, tt.ok)
			}
		})
	}
	if hex.EncodeToString(Sign(secret, body)) != want {
		t.Fatal("Sign disagrees with the test vector")
	}
}

func TestReadBody(t *testing.T) {
	tests := []struct {
		name, method, body string
		wantOK             bool
		wantStatus         int
	}{
		{"post", "POST", "{}", true, 200},
		{"get", "GET", "", false, 405},
		{"too large", "POST", strings.Repeat("x", 11), false, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			body, ok := ReadBody(rec, httptest.NewRequest(tt.method, "/", strings.NewReader(tt.body)), 10)
			if ok != tt.wantOK || rec.Code != tt.wantStatus || (ok && string(body) != tt.body) {
				t.Fatalf("ok=%v status=%d body=%q", ok, rec.Code, body)
			}
		})
	}
}

func TestReadJSON(t *testing.T) {
	tests := []struct {
		name, body string
		signed     bool
		wantOK     bool
		wantStatus int
	}{
		{"signed JSON", `{"a":1}`, true, true, 200},
		{"bad signature", `{"a":1}`, false, false, 401},
		{"signed, not JSON", `{"a":`, true, false, 400},
		{"unsigned, not JSON: the signature is checked first", `{"a":`, false, false, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			var v struct{ A int }
			verify := func([]byte) bool { return tt.signed }
			ok := ReadJSON(rec, httptest.NewRequest("POST", "/", strings.NewReader(tt.body)), 100, verify, &v)
			if ok != tt.wantOK || rec.Code != tt.wantStatus || (ok && v.A != 1) {
				t.Fatalf("ok=%v status=%d v=%+v", ok, rec.Code, v)
			}
		})
	}
}

type fakePub struct{ err error }

func (p fakePub) Publish(context.Context, ...event.Event) error { return p.err }

func TestPublish(t *testing.T) {
	ev := event.Event{ID: "x"}
	tests := []struct {
		name       string
		evs        []event.Event
		err        error
		wantStatus int
		wantLog    string
	}{
		{"stored", []event.Event{ev}, nil, 200, ""},
		{"nothing to store", nil, errors.New("not called"), 200, ""},
		{"stream down", []event.Event{ev}, errors.New("no stream"), 503, "jira webhook: publish failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			var logs strings.Builder
			Publish(t.Context(), rec, fakePub{tt.err}, tt.evs, slog.New(slog.NewTextHandler(&logs, nil)), "jira", "d-1")
			if rec.Code != tt.wantStatus || !strings.Contains(logs.String(), tt.wantLog) {
				t.Fatalf("status %d, log %q", rec.Code, logs.String())
			}
		})
	}
}
