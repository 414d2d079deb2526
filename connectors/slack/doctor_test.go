package slack

import (
	"testing"

	"github.com/goalpost/goalpost/internal/secret"
)

// Without --send-test doctor only checks the URL's shape, and never prints
// the URL.
func TestDoctorURLShape(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://hooks.slack.com/services/T000/B000/XXXXXXXX", true},
		{"http://hooks.slack.com/services/T000/B000/XXXXXXXX", false},
		{"https://example.com/services/T000/B000/XXXXXXXX", false},
		{"https://hooks.slack.com/workflows/T000/A000/1/XXXX", false},
	}
	for _, tt := range tests {
		u := secret.String(tt.url)
		ck := Doctor(t.Context(), "team", u, NewWebhook(u, nil), false)
		if ck.OK != tt.ok || (!ck.OK && ck.Fix == "") {
			t.Errorf("%s: %+v", tt.url, ck)
		}
		if ck.Detail == tt.url || ck.Name == tt.url {
			t.Error("the URL is printed")
		}
	}
}
