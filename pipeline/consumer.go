package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goalpost/goalpost/event"
	"github.com/goalpost/goalpost/metrics"
)

// Handler processes events taken from the stream.
type Handler interface {
	// Handle stores and evaluates evs, in order, in one transaction. It returns
	// nil only after everything the events caused is committed; the consumer
	// then acknowledges them. On error nothing may be committed: the consumer
	// retries the events one by one and dead-letters those that keep failing.
	// Handle must be idempotent: a redelivered event is stored and counted once.
	Handle(ctx context.Context, evs []event.Event) error
}

// Consumer is the durable consumer that feeds the Handler.
type Consumer struct {
	js      jetstream.JetStream
	cfg     StreamConfig
	h       Handler
	log     *slog.Logger
	metrics *metrics.Metrics
	// Batch is the most messages handled in one transaction (default 256).
	Batch int
	// AfterCommit, if set, is called after each committed batch (to wake the
	// writeback sender).
	AfterCommit func()
}

// NewConsumer returns a consumer; it does no I/O until Run or Drain.
func NewConsumer(js jetstream.JetStream, cfg StreamConfig, h Handler, log *slog.Logger, m *metrics.Metrics) *Consumer {
	return &Consumer{js: js, cfg: cfg.withDefaults(), h: h, log: log, metrics: m, Batch: 256}
}

func (c *Consumer) consumer(ctx context.Context) (jetstream.Consumer, error) {
	cons, err := c.js.CreateOrUpdateConsumer(ctx, c.cfg.Name, jetstream.ConsumerConfig{
		Durable:       consumerName,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.cfg.AckWait,
		MaxDeliver:    c.cfg.MaxDeliver,
		MaxAckPending: 4 * c.Batch,
		FilterSubject: EventsPrefix + ".>",
	})
	if err != nil {
		return nil, fmt.Errorf("ensure consumer: %w", err)
	}
	return cons, nil
}

// Run consumes until ctx ends. It returns nil on cancellation.
func (c *Consumer) Run(ctx context.Context) error {
	cons, err := c.consumer(ctx)
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		if _, err := c.fetchOnce(ctx, cons, time.Second); err != nil && ctx.Err() == nil {
			c.log.Warn("consume", "err", err)
			sleepCtx(ctx, time.Second)
		}
	}
	return nil
}

// Drain processes messages until none are pending, then returns how many it
// handled (used by one-shot commands).
func (c *Consumer) Drain(ctx context.Context) (int, error) {
	cons, err := c.consumer(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		n, err := c.fetchOnce(ctx, cons, 200*time.Millisecond)
		total += n
		if err != nil {
			return total, err
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return total, fmt.Errorf("consumer info: %w", err)
		}
		if n == 0 && info.NumPending == 0 && info.NumAckPending == 0 {
			return total, nil
		}
		if n == 0 && info.NumPending == 0 {
			sleepCtx(ctx, 50*time.Millisecond) // naked messages wait for redelivery
		}
	}
}

func (c *Consumer) fetchOnce(ctx context.Context, cons jetstream.Consumer, wait time.Duration) (int, error) {
	batch, err := cons.Fetch(c.Batch, jetstream.FetchMaxWait(wait))
	if err != nil {
		return 0, fmt.Errorf("fetch: %w", err)
	}
	var msgs []jetstream.Msg
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && len(msgs) == 0 {
		return 0, fmt.Errorf("fetch: %w", err)
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	return len(msgs), c.handle(ctx, msgs)
}

// handle runs the batch through the handler; on failure it retries message by
// message so that one bad event neither blocks nor fails the others.
func (c *Consumer) handle(ctx context.Context, msgs []jetstream.Msg) error {
	evs := make([]event.Event, 0, len(msgs))
	good := make([]jetstream.Msg, 0, len(msgs))
	for _, m := range msgs {
		ev, err := decode(m)
		if err != nil {
			c.deadLetter(ctx, m, err)
			continue
		}
		evs, good = append(evs, ev), append(good, m)
	}
	if len(evs) == 0 {
		return nil
	}
	if err := c.h.Handle(ctx, evs); err == nil {
		c.ackAll(good, evs)
		return nil
	} else if ctx.Err() != nil {
		return ctx.Err()
	} else if len(evs) > 1 {
		c.log.Debug("batch failed, retrying one by one", "size", len(evs), "err", err)
	}
	for i, m := range good {
		if err := c.h.Handle(ctx, evs[i:i+1]); err != nil {
			c.retryOrDeadLetter(ctx, m, err)
			continue
		}
		c.ackAll(good[i:i+1], evs[i:i+1])
	}
	return nil
}

func (c *Consumer) ackAll(msgs []jetstream.Msg, evs []event.Event) {
	for i, m := range msgs {
		if err := m.Ack(); err != nil {
			// Not lost: the message is redelivered and the store drops the duplicate.
			c.log.Warn("ack failed", "event", evs[i].ID, "err", err)
		}
		c.metrics.Processed(evs[i].Source)
	}
	if c.AfterCommit != nil {
		c.AfterCommit()
	}
}

func (c *Consumer) retryOrDeadLetter(ctx context.Context, m jetstream.Msg, err error) {
	meta, merr := m.Metadata()
	if merr == nil && int(meta.NumDelivered) >= c.cfg.MaxDeliver {
		c.deadLetter(ctx, m, err)
		return
	}
	delay := time.Second
	if merr == nil {
		delay = min(time.Duration(meta.NumDelivered)*time.Second, 30*time.Second)
	}
	c.log.Warn("event failed, will retry", "subject", m.Subject(), "err", err)
	_ = m.NakWithDelay(delay)
}

// deadLetter moves m to the dead-letter subject with the error in a header and
// terminates it. If the dead-letter publish fails, m is naked instead, so it
// is never lost.
func (c *Consumer) deadLetter(ctx context.Context, m jetstream.Msg, cause error) {
	rest := strings.TrimPrefix(m.Subject(), EventsPrefix+".")
	dl := &nats.Msg{Subject: DeadLetterPrefix + "." + rest, Data: m.Data(), Header: nats.Header{}}
	dl.Header.Set("Goalpost-Error", truncate(cause.Error(), 1000))
	dl.Header.Set("Goalpost-Subject", m.Subject())
	if _, err := c.js.PublishMsg(ctx, dl); err != nil {
		c.log.Error("dead-letter publish failed; will retry", "subject", m.Subject(), "err", err)
		_ = m.NakWithDelay(5 * time.Second)
		return
	}
	_ = m.Term()
	source, _, _ := strings.Cut(rest, ".")
	c.metrics.DeadLettered(source)
	c.log.Error("event dead-lettered", "subject", m.Subject(), "dead_letter_subject", dl.Subject, "err", cause)
}

func decode(m jetstream.Msg) (event.Event, error) {
	var ev event.Event
	if err := json.Unmarshal(m.Data(), &ev); err != nil {
		return ev, fmt.Errorf("decode event: %w", err)
	}
	if err := ev.Validate(); err != nil {
		return ev, err
	}
	return ev, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
