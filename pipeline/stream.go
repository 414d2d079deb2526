package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Subject prefixes. Events are published on "goalpost.events.<source>.<kind>";
// messages that kept failing are moved to "goalpost.dlq.<source>.<kind>".
const (
	EventsPrefix     = "goalpost.events"
	DeadLetterPrefix = "goalpost.dlq"
	consumerName     = "processor"
)

// StreamConfig names the streams and their limits: Config.Streams (with
// the section's defaults applied) or DefaultStreams.
type StreamConfig struct {
	Name            string        // events stream, e.g. GOALPOST_EVENTS
	DuplicateWindow time.Duration // server-side Nats-Msg-Id dedupe window (ADR 12)
	MaxAge          time.Duration // how long the events stream keeps a message
	MaxDeliver      int           // tries before a message is dead-lettered
	AckWait         time.Duration // redelivery if not acked in this time
	Replicas        int           // servers of the cluster that keep each stream (0: 1)
}

// EnsureStreams creates or updates the events stream and the dead-letter
// stream. It is idempotent.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       cfg.Name,
		Subjects:   []string{EventsPrefix + ".>"},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		MaxAge:     cfg.MaxAge, // the store keeps events for replay; the stream is the buffer
		Duplicates: cfg.DuplicateWindow,
		Replicas:   cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("ensure stream %s: %w", cfg.Name, err)
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:     cfg.Name + "_DLQ",
		Subjects: []string{DeadLetterPrefix + ".>"},
		Storage:  jetstream.FileStorage,
		MaxAge:   90 * 24 * time.Hour,
		Replicas: cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("ensure dead-letter stream: %w", err)
	}
	return nil
}
