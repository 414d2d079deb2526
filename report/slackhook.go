package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/transport"
)

// SlackWebhook posts the report to a Slack incoming webhook, one message per
// part (see Slack for the splitting). Requests go through transport.New:
// at most one message per second (Slack's webhook rate), 429 with
// Retry-After and 5xx retried a bounded number of times. Slack answers 200
// "ok"; 400 (invalid_payload), 403 (action_prohibited, invalid_token), 404
// (channel_not_found, no_service) and 410 (channel_is_archived) are
// permanent. The webhook URL is a secret: it never appears in errors or logs.
type SlackWebhook struct {
	url    secret.String
	client *http.Client
	log    *slog.Logger
}

var _ Sender = (*SlackWebhook)(nil)

// NewSlackWebhook returns a sender for the webhook URL. base is the
// underlying transport (nil: http.DefaultTransport). It does no I/O.
func NewSlackWebhook(webhookURL secret.String, base http.RoundTripper, log *slog.Logger) *SlackWebhook {
	return newSlackWebhook(webhookURL, transport.Options{Limiter: rate.NewLimiter(1, 1)}, base, log)
}

func newSlackWebhook(webhookURL secret.String, opt transport.Options, base http.RoundTripper, log *slog.Logger) *SlackWebhook {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &SlackWebhook{url: webhookURL, client: transport.New(base, opt).Client(30 * time.Second), log: log}
}

// Deliver implements Sender: messages are sent in order, each confirmed
// (Progress.Parts) as soon as Slack accepted it.
func (s *SlackWebhook) Deliver(ctx context.Context, r *Report, done Progress, confirm func(context.Context, Progress) error) error {
	msgs, err := Slack(r)
	if err != nil {
		return Permanent(err)
	}
	for i := done.Parts; i < len(msgs); i++ {
		if err := s.post(ctx, msgs[i]); err != nil {
			return fmt.Errorf("slack message %d of %d: %w", i+1, len(msgs), err)
		}
		if err := confirm(ctx, Progress{Parts: i + 1}); err != nil {
			return err
		}
		s.log.Debug("slack message sent", "part", i+1, "parts", len(msgs))
	}
	return nil
}

func (s *SlackWebhook) post(ctx context.Context, m SlackMessage) error {
	body, err := json.Marshal(m)
	if err != nil {
		return Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url.Reveal(), bytes.NewReader(body))
	if err != nil {
		return Permanent(errors.New("bad webhook url (value not shown)"))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := s.client.Do(req)
	if err != nil {
		return redactURL(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	err = fmt.Errorf("slack webhook: status %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusGone:
		return Permanent(err)
	}
	return err
}

// redactURL removes the request URL (a secret for webhooks) from a
// transport error.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s [redacted url]: %w", ue.Op, ue.Err)
	}
	return err
}
