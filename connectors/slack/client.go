package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// Webhook posts messages to one Slack incoming webhook. Requests go through
// transport.New, Slack's one retry policy: at most one message per second
// (Slack's webhook rate), 429 with Retry-After and 5xx retried a bounded
// number of times (transport.Default). Slack answers 200 "ok"; 400
// (invalid_payload), 401, 403 (action_prohibited, invalid_token), 404
// (channel_not_found, no_service) and 410 (channel_is_archived) are
// permanent (see Error). The webhook URL is a secret: it never appears in
// errors. A Webhook is safe for concurrent use and does no I/O until Post.
type Webhook struct {
	url secret.String
	hc  *http.Client
}

// Option adjusts a Webhook's transport (mostly for tests).
type Option func(*transport.Options)

// WithSleep replaces the wait between retries (tests record the waits).
func WithSleep(fn func(ctx context.Context, d time.Duration) error) Option {
	return func(o *transport.Options) { o.Sleep = fn }
}

// WithLimiter replaces the one-message-per-second spacing (nil: none, for
// tests against a fake).
func WithLimiter(l *rate.Limiter) Option {
	return func(o *transport.Options) { o.Limiter = l }
}

// WithRetries bounds the attempts per message (default 5).
func WithRetries(attempts int) Option {
	return func(o *transport.Options) { o.MaxAttempts = attempts }
}

// NewWebhook returns a client for the webhook URL. base is the underlying
// round tripper (nil: http.DefaultTransport). It does no I/O.
func NewWebhook(webhookURL secret.String, base http.RoundTripper, opts ...Option) *Webhook {
	o := transport.Options{Limiter: rate.NewLimiter(1, 1)}
	for _, opt := range opts {
		opt(&o)
	}
	return &Webhook{url: webhookURL, hc: transport.New(base, o).Client(30 * time.Second)}
}

// Error is an answer from Slack other than 200. It never contains the URL.
type Error struct {
	Status int
	Body   string // Slack's short error code, e.g. no_service
}

func (e *Error) Error() string { return fmt.Sprintf("slack webhook: status %d: %s", e.Status, e.Body) }

// Permanent reports whether sending the same message again cannot help.
func (e *Error) Permanent() bool {
	switch e.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusGone:
		return true
	}
	return false
}

// Post sends one message. It blocks until Slack accepted it, ctx ended, or
// the transport's bounded retries ran out. Errors whose Permanent() reports
// true are not worth retrying.
func (w *Webhook) Post(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return outbox.Permanent(fmt.Errorf("encode slack message: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url.Reveal(), bytes.NewReader(body))
	if err != nil {
		return outbox.Permanent(errors.New("bad slack webhook url (value not shown)"))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := w.hc.Do(req)
	if err != nil {
		return redactURL(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return &Error{Status: resp.StatusCode, Body: strings.TrimSpace(string(msg))}
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
