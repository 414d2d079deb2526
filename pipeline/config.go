package pipeline

import (
	"errors"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
)

// Config is the [nats] section. An empty URL runs an embedded server; a
// comma-separated list names the servers of a cluster (the client connects
// to any and fails over to the others).
type Config struct {
	URL       string        `toml:"url"`
	CredsFile string        `toml:"creds_file"`
	User      string        `toml:"user"`
	Password  secret.String `toml:"password"`
	Token     secret.String `toml:"token"`
	TLSCA     string        `toml:"tls_ca"`
	TLSCert   string        `toml:"tls_cert"`
	TLSKey    string        `toml:"tls_key"`
	// Stream is the JetStream stream name (default GOALPOST_EVENTS).
	Stream string `toml:"stream"`
	// MaxDeliver bounds the tries of one message before it is dead-lettered (default 5).
	MaxDeliver int `toml:"max_deliver"`
	// DuplicateWindow is the server-side dedupe window for Nats-Msg-Id
	// (default 2m): the store dedupes by event id whatever the window.
	DuplicateWindow confval.Duration `toml:"duplicate_window"`
	// Retention is how long the events stream keeps a message (default 7d):
	// the processor's backlog may be this old before it is lost from the
	// stream; the store keeps every processed event.
	Retention confval.Duration `toml:"retention"`
	// AckWait is how long a delivered message may stay unacknowledged before
	// it is delivered again (default 30s): after a crash, the batch that was
	// in flight is processed again this long after the restart.
	AckWait confval.Duration `toml:"ack_wait"`
	// Replicas is how many servers of a cluster keep each stream and the
	// lease bucket (default 1; 3 on a cluster of 3 survives one node down).
	Replicas int `toml:"replicas"`
	// LeaseTTL is how long a replica's lease on singleton work (polling a
	// source, the weekly report) outlives its last renewal (default 15s):
	// a dead replica's work moves to another within about 4/3 of it.
	LeaseTTL confval.Duration `toml:"lease_ttl"`
}

// Defaults of the [nats] section (ADR 12). The store is the dedupe of
// record (events by id), so JetStream's duplicate window only has to cover a
// publisher retrying a publish whose ack it lost: minutes, not a day of
// message ids held in memory. The stream is a buffer between receivers and
// the processor, not the history (the store keeps that for replay).
const (
	DefaultStream          = "GOALPOST_EVENTS"
	DefaultMaxDeliver      = 5
	DefaultDuplicateWindow = 2 * time.Minute
	DefaultRetention       = 7 * 24 * time.Hour
	DefaultAckWait         = 30 * time.Second
	DefaultReplicas        = 1
)

// ApplyDefaults fills the unset keys of the section: the one place its
// defaults are set (internal/config calls it once after decoding).
func (c *Config) ApplyDefaults() {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if c.DuplicateWindow.Duration == 0 {
		c.DuplicateWindow.Duration = DefaultDuplicateWindow
	}
	if c.Retention.Duration == 0 {
		c.Retention.Duration = DefaultRetention
	}
	if c.AckWait.Duration == 0 {
		c.AckWait.Duration = DefaultAckWait
	}
	if c.Replicas == 0 {
		c.Replicas = DefaultReplicas
	}
	if c.LeaseTTL.Duration == 0 {
		c.LeaseTTL.Duration = DefaultLeaseTTL
	}
}

// Streams returns the stream settings of the section (after ApplyDefaults).
func (c Config) Streams() StreamConfig {
	return StreamConfig{Name: c.Stream, MaxDeliver: c.MaxDeliver, DuplicateWindow: c.DuplicateWindow.Duration,
		MaxAge: c.Retention.Duration, AckWait: c.AckWait.Duration, Replicas: c.Replicas}
}

// DefaultStreams returns the stream settings of an empty [nats] section.
func DefaultStreams() StreamConfig {
	var c Config
	c.ApplyDefaults()
	return c.Streams()
}

// Validate checks the section without I/O.
func (c Config) Validate() error {
	var errs []error
	if c.DuplicateWindow.Duration < 0 {
		errs = append(errs, confval.Fieldf("duplicate_window", "must not be negative"))
	}
	if r := c.Retention.Duration; r < 0 || (r > 0 && r < time.Hour) {
		errs = append(errs, confval.Fieldf("retention", "want at least 1h (a backlog older than this is dropped from the stream)"))
	}
	if c.MaxDeliver < 0 {
		errs = append(errs, confval.Fieldf("max_deliver", "must not be negative"))
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		errs = append(errs, confval.Fieldf("replicas", "want 1 to 5 (JetStream's limit), got %d", c.Replicas))
	}
	if t := c.LeaseTTL.Duration; t < 0 || (t > 0 && (t < time.Second || t > time.Minute)) {
		errs = append(errs, confval.Fieldf("lease_ttl", "want 1s to 1m (a dead replica's sources move after about this long)"))
	}
	if c.URL == "" && c.Replicas > 1 {
		errs = append(errs, confval.Fieldf("replicas", "the embedded server is one node: replicas > 1 needs url to name a cluster"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, confval.Fieldf("tls_cert", "tls_cert and tls_key go together"))
	}
	if c.URL == "" && (c.CredsFile != "" || c.User != "" || c.Token.IsSet()) {
		errs = append(errs, confval.Fieldf("url", "credentials are set but url is empty (the embedded server needs none)"))
	}
	return errors.Join(errs...)
}
