package report

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/goalpost/goalpost/connectors/slack"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// SlackPoster sends one Slack message (connectors/slack.Webhook). Post
// blocks until Slack accepted the message, ctx ended, or the client's
// bounded retries (429 with Retry-After, 5xx) ran out; errors whose
// Permanent() reports true (a revoked webhook, an archived channel) are not
// worth retrying. Errors never contain the webhook URL.
type SlackPoster interface {
	Post(ctx context.Context, m slack.Message) error
}

// SlackWebhook delivers the report to Slack, one message per part (see
// Slack for the splitting), through a SlackPoster.
type SlackWebhook struct {
	poster SlackPoster
	log    *slog.Logger
}

var _ Sender = (*SlackWebhook)(nil)

// NewSlackWebhook returns a sender posting through p. It does no I/O.
func NewSlackWebhook(p SlackPoster, log *slog.Logger) *SlackWebhook {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &SlackWebhook{poster: p, log: log}
}

// Deliver implements Sender: messages are sent in order, each confirmed
// (Progress.Parts) as soon as Slack accepted it.
func (s *SlackWebhook) Deliver(ctx context.Context, r *Report, done Progress, confirm func(context.Context, Progress) error) error {
	msgs, err := Slack(r)
	if err != nil {
		return outbox.Permanent(err)
	}
	for i := done.Parts; i < len(msgs); i++ {
		if err := s.poster.Post(ctx, msgs[i]); err != nil {
			return fmt.Errorf("slack message %d of %d: %w", i+1, len(msgs), err)
		}
		if err := confirm(ctx, Progress{Parts: i + 1}); err != nil {
			return err
		}
		s.log.Debug("slack message sent", "part", i+1, "parts", len(msgs))
	}
	return nil
}
