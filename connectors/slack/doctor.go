package slack

import (
	"context"
	"net/url"
	"strings"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
)

// Doctor checks an incoming-webhook URL's shape
// (https://hooks.slack.com/services/T…/B…/…) and, only with send, posts a
// short test message through w. The URL never appears in the check.
func Doctor(ctx context.Context, name string, webhookURL secret.String, w *Webhook, send bool) confval.Check {
	ck := confval.Check{Name: "slack destination " + name, OK: true}
	u, err := url.Parse(webhookURL.Reveal())
	parts := []string{}
	if err == nil {
		parts = strings.Split(strings.Trim(u.Path, "/"), "/")
	}
	if err != nil || u.Scheme != "https" || u.Host != "hooks.slack.com" || len(parts) != 4 || parts[0] != "services" {
		ck.OK, ck.Detail = false, "webhook_url is not a Slack incoming-webhook URL"
		ck.Fix = "copy the URL from the Slack app's Incoming Webhooks page (https://hooks.slack.com/services/T…/B…/…)"
		return ck
	}
	if !send {
		ck.Detail = "URL shape ok (no message sent; --send-test posts one)"
		return ck
	}
	if err := w.Post(ctx, Message{Text: "goalpost doctor: test message (you can delete it)"}); err != nil {
		ck.OK, ck.Detail, ck.Fix = false, err.Error(), "check the webhook is still installed in Slack and its channel exists"
		return ck
	}
	ck.Detail = "test message sent"
	return ck
}

// AppDoctor checks a slack_app destination's bot token, read-only: the token
// is valid (auth.test), and the channel's history is readable — goalpost
// finds its own messages there before posting, so that a crash never posts
// twice (ADR 48); without it, every post fails.
func AppDoctor(ctx context.Context, name string, api *API, channel string) []confval.Check {
	out := []confval.Check{confval.Probe("slack app "+name+": bot token", "set the destination's token to the app's Bot User OAuth Token (xoxb-…, OAuth & Permissions)",
		func() (string, error) {
			var who struct{ User, Team string }
			err := api.call(ctx, "auth.test", "", nil, &who)
			return "as " + who.User + " in " + who.Team, err
		})}
	if channel == "" || !out[0].OK {
		return out
	}
	fix := "add the bot scopes channels:history (groups:history for a private channel) and chat:write, reinstall the app, and invite the bot to " + channel
	return append(out, confval.Probe("slack app "+name+": channel "+channel+" history readable", fix, func() (string, error) {
		return "", api.call(ctx, "conversations.history", "", map[string]any{"channel": channel, "limit": 1}, nil)
	}))
}
