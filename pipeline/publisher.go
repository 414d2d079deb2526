package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goalpost/goalpost/internal/metrics"
	"github.com/goalpost/goalpost/pipeline/event"
)

// Publisher puts events on the stream.
type Publisher struct {
	js      jetstream.JetStream
	metrics *metrics.Metrics
}

// NewPublisher returns a Publisher on js; m may be nil.
func NewPublisher(js jetstream.JetStream, m *metrics.Metrics) *Publisher {
	return &Publisher{js: js, metrics: m}
}

// Publish validates and publishes evs, with Nats-Msg-Id set to each event's
// ID so the server drops a fact it already has. It returns nil only after the
// stream acknowledged (stored) every event; on error some events may have
// been stored, and publishing again is safe (idempotent by ID). It blocks
// until the acks arrive or ctx ends. An invalid event fails the whole call
// before anything is sent.
func (p *Publisher) Publish(ctx context.Context, evs ...event.Event) error {
	msgs := make([]*nats.Msg, 0, len(evs))
	for i := range evs {
		ev := evs[i]
		ev.Normalize()
		if err := ev.Validate(); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		data, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("publish %s: encode: %w", ev.ID, err)
		}
		msgs = append(msgs, &nats.Msg{Subject: ev.Subject(EventsPrefix), Data: data, Header: nats.Header{}})
		msgs[len(msgs)-1].Header.Set(jetstream.MsgIDHeader, ev.ID)
	}
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for _, m := range msgs {
		f, err := p.js.PublishMsgAsync(m)
		if err != nil {
			return fmt.Errorf("publish %s: %w", m.Header.Get(jetstream.MsgIDHeader), err)
		}
		futures = append(futures, f)
	}
	var errs []error
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			errs = append(errs, fmt.Errorf("publish %s: %w", f.Msg().Header.Get(jetstream.MsgIDHeader), err))
		case <-ctx.Done():
			return fmt.Errorf("publish: %w", ctx.Err())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, ev := range evs {
		p.metrics.EventIn(ev.Source, 1)
	}
	return nil
}
