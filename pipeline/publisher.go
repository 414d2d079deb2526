package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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

// Publish publishes evs, with Nats-Msg-Id set to each event's ID so the
// server drops a fact it already has. An event that can never be stored
// (invalid, or larger than the server's max payload) is not sent to the
// events stream: it goes to the dead-letter subject goalpost.dlq.rejected.
// <source> with the reason in a Goalpost-Error header, is counted and
// logged by the caller's metrics, and does not hold back its siblings
// (a webhook is not retried forever for it). Publish returns nil only
// after the stream acknowledged every storable event and every rejected
// one was dead-lettered; on error some may have been stored, and
// publishing again is safe (idempotent by ID). It blocks until the acks
// arrive or ctx ends.
func (p *Publisher) Publish(ctx context.Context, evs ...event.Event) error {
	limit := p.maxPayload()
	msgs := make([]*nats.Msg, 0, len(evs))
	var rejected []string // sources of the dead-lettered events
	for i := range evs {
		m, source := p.message(evs[i], limit)
		if source != "" {
			rejected = append(rejected, source)
		}
		msgs = append(msgs, m)
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
	for _, m := range msgs {
		if m.Header.Get(rejectedHeader) == "" {
			p.metrics.EventIn(m.Header.Get(sourceHeader), 1)
		}
	}
	for _, source := range rejected {
		p.metrics.DeadLettered(source)
	}
	return nil
}

// Headers of published messages.
const (
	sourceHeader   = "Goalpost-Source"
	rejectedHeader = "Goalpost-Error"
	// headerRoom is kept below the max payload for the headers.
	headerRoom = 1024
)

// maxPayload is the largest message body the server takes.
func (p *Publisher) maxPayload() int64 {
	if nc := p.js.Conn(); nc != nil && nc.MaxPayload() > headerRoom {
		return nc.MaxPayload() - headerRoom
	}
	return 1<<20 - headerRoom // NATS's default
}

// message is ev's message on the events stream, or, when ev can never be
// stored there, its dead-letter message and ev's source (for counting).
func (p *Publisher) message(ev event.Event, limit int64) (*nats.Msg, string) {
	ev.Normalize()
	var reason error
	data, err := json.Marshal(ev)
	switch {
	case err != nil:
		reason = fmt.Errorf("encode: %w", err)
	case ev.Validate() != nil:
		reason = ev.Validate()
	case int64(len(data)) > limit:
		reason = fmt.Errorf("event is %d bytes, over the stream's max payload of %d", len(data), limit)
	}
	if reason == nil {
		m := &nats.Msg{Subject: ev.Subject(EventsPrefix), Data: data, Header: nats.Header{}}
		m.Header.Set(jetstream.MsgIDHeader, ev.ID)
		m.Header.Set(sourceHeader, ev.Source)
		return m, ""
	}
	source := subjectToken(ev.Source)
	if int64(len(data)) > limit || err != nil {
		data, _ = json.Marshal(map[string]any{"id": ev.ID, "source": ev.Source, "kind": ev.Kind, "unit": ev.Unit, "bytes": len(data)})
	}
	m := &nats.Msg{Subject: DeadLetterPrefix + ".rejected." + source, Data: data, Header: nats.Header{}}
	m.Header.Set(rejectedHeader, truncate(fmt.Sprintf("rejected %s: %v", ev.ID, reason), 1000))
	if ev.ID != "" {
		m.Header.Set(jetstream.MsgIDHeader, "rejected:"+ev.ID)
	}
	return m, source
}

// subjectToken makes s usable as one subject token ("unknown" when empty).
func subjectToken(s string) string {
	s = strings.Map(func(r rune) rune {
		if r <= ' ' || r == '.' || r == '*' || r == '>' || r > '~' {
			return '_'
		}
		return r
	}, s)
	if s == "" {
		return "unknown"
	}
	return s
}
