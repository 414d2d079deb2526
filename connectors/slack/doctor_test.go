package slack

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/internal/sandbox/slackfake"
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

// The Slack app's doctor: a valid bot token passes with who it is and the
// channel's history; a revoked one fails with the fix and skips the channel;
// the token never shows.
func TestAppDoctor(t *testing.T) {
	const bot = "xoxb-doctor-bot-token"
	srv := httptest.NewServer(slackfake.New(bot))
	defer srv.Close()
	tests := []struct {
		name, token string
		want        []string
	}{
		{"valid", bot, []string{"ok slack app team: bot token (as goalpost in acme)", "ok slack app team: channel C0SHIP history readable"}},
		{"revoked", "xoxb-revoked", []string{"FAIL slack app team: bot token: set the destination's token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, ck := range AppDoctor(t.Context(), "team", NewAPI(secret.String(tt.token), srv.URL, nil), "C0SHIP") {
				if strings.Contains(ck.Detail+ck.Fix, tt.token) {
					t.Errorf("the token is in %+v", ck)
				}
				line := "ok " + ck.Name + " (" + ck.Detail + ")"
				if !ck.OK {
					line = "FAIL " + ck.Name + ": " + ck.Fix
				}
				got = append(got, line)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("check %d = %q, want %q…", i, got[i], tt.want[i])
				}
			}
		})
	}
}
