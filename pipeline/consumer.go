package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goalpost/goalpost/internal/metrics"
	"github.com/goalpost/goalpost/pipeline/event"
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
	return &Consumer{js: js, cfg: cfg, h: h, log: log, metrics: m, Batch: 256}
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

// Run consumes until ctx ends. It returns nil on cancellation, after it
// stopped fetching, finished the batch in hand and gave back (nak) the
// messages fetched for later batches.
func (c *Consumer) Run(ctx context.Context) error {
	_, err := c.loop(ctx, false)
	return err
}

// Drain processes messages until none are pending, then returns how many it
// handled (used by one-shot commands).
func (c *Consumer) Drain(ctx context.Context) (int, error) {
	return c.loop(ctx, true)
}

// loop receives messages through a prefetching pull subscription, so the
// next batch arrives while the handler commits this one, and handles them
// in batches: it waits for one message, then takes whatever else is already
// buffered (up to Batch) without waiting more. A lone event is processed at
// once, a burst in one transaction. With untilIdle it returns as soon as
// nothing is pending or waiting for an ack (no fixed wait).
func (c *Consumer) loop(ctx context.Context, untilIdle bool) (int, error) {
	cons, err := c.consumer(ctx)
	if err != nil {
		return 0, err
	}
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	in := make(chan jetstream.Msg, 2*c.Batch)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case in <- m:
		case <-lctx.Done():
			_ = m.Nak() // stopping: delivered to another member now
		}
	}, jetstream.PullMaxMessages(2*c.Batch), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		c.log.Debug("consume", "err", err)
	}))
	if err != nil {
		return 0, fmt.Errorf("consume: %w", err)
	}
	defer cc.Stop()
	// A drain asks the server at once whether anything is pending, and again
	// right after each batch; while acks are still in flight (or a message
	// waits for redelivery) it asks again after a short, growing pause.
	var idle <-chan time.Time
	var check *time.Timer
	if untilIdle {
		check = time.NewTimer(0)
		defer check.Stop()
		idle = check.C
	}
	pause := minIdlePause
	total := 0
	for {
		select {
		case <-ctx.Done():
			stopFetching(cc, stop, in)
			return total, nil
		case m := <-in:
			msgs := takeBuffered(in, []jetstream.Msg{m}, c.Batch)
			total += len(msgs)
			// A batch taken is finished even when ctx ends meanwhile: its
			// statements do not watch ctx anyway, and committing it spares
			// its redelivery.
			if err := c.handle(context.WithoutCancel(ctx), msgs); err != nil {
				return total, err
			}
			if untilIdle {
				pause = minIdlePause
				check.Reset(0)
			}
		case <-idle:
			if done, err := c.idle(ctx, cons, len(in)); done || err != nil {
				return total, err
			}
			check.Reset(pause)
			pause = min(2*pause, maxIdlePause)
		}
	}
}

// stopFetching ends the subscription and gives back (naks) every message
// fetched but not handled — in the client's buffer (drained through the
// callback, which naks once unblock is called) or in ours — so that another
// member of the durable consumer gets them at once rather than after
// ack_wait (a nak counts as a delivery, as that redelivery would).
func stopFetching(cc jetstream.ConsumeContext, unblock func(), in <-chan jetstream.Msg) {
	unblock()
	cc.Drain()
	select {
	case <-cc.Closed():
	case <-time.After(maxDrain): // what is left is redelivered after ack_wait
	}
	for {
		select {
		case m := <-in:
			_ = m.Nak()
		default:
			return
		}
	}
}

// maxDrain bounds how long stopping waits for the client's buffer to be
// given back.
const maxDrain = 5 * time.Second

// The pauses between a drain's questions whether the consumer is idle.
const (
	minIdlePause = time.Millisecond
	maxIdlePause = 100 * time.Millisecond
)

// takeBuffered appends messages already waiting in in, up to limit in all.
func takeBuffered(in <-chan jetstream.Msg, msgs []jetstream.Msg, limit int) []jetstream.Msg {
	for len(msgs) < limit {
		select {
		case m := <-in:
			msgs = append(msgs, m)
		default:
			return msgs
		}
	}
	return msgs
}

// idle reports whether the consumer has nothing left: nothing buffered,
// pending on the server, or delivered and waiting for an ack or redelivery.
func (c *Consumer) idle(ctx context.Context, cons jetstream.Consumer, buffered int) (bool, error) {
	if buffered > 0 {
		return false, nil
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return false, fmt.Errorf("consumer info: %w", err)
	}
	return info.NumPending == 0 && info.NumAckPending == 0, nil
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
