package pipeline

import (
	"context"
	"fmt"
	"slices"
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

// EnsureStreams creates the events stream and the dead-letter stream, or
// updates them where their configuration differs from cfg. It is
// idempotent. A stream whose configuration already matches is left alone:
// the server's update, even to the same configuration, runs the file
// store's age check, which reads the stream's oldest message block (tens of
// milliseconds of a restart on a stream of a million messages, ADR 58).
func EnsureStreams(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) error {
	err := ensureStream(ctx, js, jetstream.StreamConfig{
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
	err = ensureStream(ctx, js, jetstream.StreamConfig{
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

// ensureStream creates or updates the stream want, unless it exists with
// the settings want sets (the others are the server's defaults, or what an
// operator set on purpose).
func ensureStream(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig) error {
	if s, err := js.Stream(ctx, want.Name); err == nil && sameSettings(s.CachedInfo().Config, want) {
		return nil
	}
	_, err := js.CreateOrUpdateStream(ctx, want)
	return err
}

// sameSettings reports whether the stream configuration have has every
// setting that want sets at want's value (a duplicate window left unset is
// the server's default, replicas unset are 1).
func sameSettings(have, want jetstream.StreamConfig) bool {
	return slices.Equal(have.Subjects, want.Subjects) && have.Storage == want.Storage &&
		have.Retention == want.Retention && have.MaxAge == want.MaxAge &&
		(want.Duplicates == 0 || have.Duplicates == want.Duplicates) && have.Replicas == max(want.Replicas, 1)
}
