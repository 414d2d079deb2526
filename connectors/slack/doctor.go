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
