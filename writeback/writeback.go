// Package writeback is the outbox sender. The engine queues writes in the
// store (store.Tx.EnqueueWrite) in the same transaction as the key-result
// change that caused them, one row per target holding only the latest
// payload; the report scheduler queues each team's weekly report once per
// destination (store.EnqueueOnce); the Sender claims the writes that are due, sends each through its
// service's Sink, and records the outcome: sent (only if no newer payload
// arrived meanwhile), retried later with capped exponential backoff
// (honouring the service's Retry-After), or parked with its reason after a
// permanent error. Parked writes show in WriteStatus and as a metric, and
// are retried when the sink's configuration changes, when a new payload is
// queued for the target, or on request. Because every state lives in the
// store, a crash or an outage loses nothing: after a restart the pending
// writes are sent, once in effect (sinks are idempotent).
//
//	engine ──EnqueueWrite (same tx)──▶ outbox table ──ClaimWrites──▶ Sender ──Write──▶ notion.Sink / linear.Sink
//	   └──Notify()──────────────────────────────────────────────────▲       └─ MarkWriteSent / MarkWriteFailed / ParkWrite
package writeback

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/goalpost/goalpost/internal/metrics"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// Sink writes key results to one service (Notion, Linear).
type Sink interface {
	// Write makes target (e.g. a Notion page) show r. It blocks until the
	// service answered or ctx ends. It must be idempotent: delivery is at
	// least once (a crash between sending and recording sends again).
	//
	// An error whose chain has a method Permanent() bool returning true
	// (bad input, 401, 403, 404, a trashed page) parks the write with
	// err.Error() as its reason; any other error (rate limits the transport
	// gave up on, 5xx, network) is retried later, no sooner than the error's
	// Wait() time.Duration when it has that method (bounded by an hour, or
	// by the retry_max backoff when longer). Errors must never
	// contain a token or other secret: they are stored and shown.
	Write(ctx context.Context, target outbox.Target, r outbox.Update) error
}

// ReportSink delivers weekly reports, the outbox's "report" service
// (report.Scheduler implements it).
//
// Deliver sends r (one team's report for one week to one destination),
// starting after the parts already confirmed in done. After each part is
// confirmed delivered it calls confirm with the progress so far (which the
// Sender stores in the outbox row) and stops with confirm's error if that
// fails. It blocks until every part is delivered, ctx ends, or an attempt
// fails. Errors are classified as for Sink.Write: Permanent() parks the
// delivery, anything else is retried with the same backoff, resuming after
// the last confirmed part. It must never resend a confirmed part.
type ReportSink interface {
	Deliver(ctx context.Context, r outbox.Report, done outbox.Progress, confirm func(context.Context, outbox.Progress) error) error
}

// Describer is implemented by sinks that can say what Write would send
// without sending it, for dry runs. Describe does no I/O.
type Describer interface {
	Describe(target outbox.Target, r outbox.Update) (string, error)
}

// Fingerprinter is implemented by sinks whose configuration can be
// summarized: when the fingerprint differs from the one a write was parked
// under, the write is retried (the operator may have fixed the cause). The
// fingerprint must not reveal secrets.
type Fingerprinter interface {
	Fingerprint() string
}

// IsPermanent reports whether err says retrying cannot help: the first
// error in its chain with a Permanent() bool method decides.
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// waitHint returns the longest wait any error in err's chain asks for.
func waitHint(err error) time.Duration {
	var w interface{ Wait() time.Duration }
	if errors.As(err, &w) {
		return w.Wait()
	}
	return 0
}

// Sender sends queued writes. Create it with New; run it with Run (daemon)
// or Flush (one pass). Its methods are safe for concurrent use, but one
// Sender per store is enough: claims keep two senders (say `run` and a
// concurrent `sync --once`) from sending the same write at once.
type Sender struct {
	st      *store.Store
	sinks   map[string]Sink
	reports ReportSink // nil: report rows are left to a sender that has one
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics.Metrics

	poll             time.Duration
	lease            time.Duration
	batch            int
	retryBase        time.Duration
	retryMax         time.Duration
	dryRun           io.Writer
	retryParkedStart bool

	notify chan struct{}

	mu      sync.Mutex
	started bool                    // start-up (unparking) ran
	printed map[outbox.Target]int64 // dry runs: target → seq already printed
}

// Option configures a Sender.
type Option func(*Sender)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Sender) { s.now = now } }

// WithMetrics counts sent, failed and parked writes.
func WithMetrics(m *metrics.Metrics) Option { return func(s *Sender) { s.metrics = m } }

// WithPollInterval sets how often Run looks for due writes when not
// notified (default 2s).
func WithPollInterval(d time.Duration) Option { return func(s *Sender) { s.poll = d } }

// WithBackoff sets the retry backoff: base doubles per failed attempt up to
// max (defaults 30s and 30m).
func WithBackoff(base, max time.Duration) Option {
	return func(s *Sender) { s.retryBase, s.retryMax = base, max }
}

// WithLease sets how long a claimed write is reserved for one send (default
// 2m); a sender that crashes mid-send delays that write by at most this.
func WithLease(d time.Duration) Option { return func(s *Sender) { s.lease = d } }

// WithReports makes the Sender deliver the weekly reports queued in the
// outbox through rs. Without it, report rows are neither sent nor parked:
// they wait for a Sender that has it (the daemon's).
func WithReports(rs ReportSink) Option { return func(s *Sender) { s.reports = rs } }

// WithDryRun makes the Sender print the writes it would make to w and make
// none, leaving the outbox unchanged.
func WithDryRun(w io.Writer) Option { return func(s *Sender) { s.dryRun = w } }

// WithRetryParkedOnStart retries every parked write once when the Sender
// starts, whatever the configuration.
func WithRetryParkedOnStart() Option { return func(s *Sender) { s.retryParkedStart = true } }

// New returns a Sender for the writes queued in st, sending each through
// the sink of its target's service (outbox.Target.Service: "notion",
// "linear"). It does no I/O.
func New(st *store.Store, sinks map[string]Sink, log *slog.Logger, opts ...Option) *Sender {
	s := &Sender{
		st: st, sinks: sinks, log: log, now: time.Now, batch: 50,
		notify: make(chan struct{}, 1), printed: map[outbox.Target]int64{},
	}
	var defaults Config
	defaults.ApplyDefaults()
	for _, o := range append(defaults.Options(), opts...) {
		o(s)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.sinks == nil {
		s.sinks = map[string]Sink{}
	}
	return s
}

// Notify wakes Run to send promptly; call it after committing a transaction
// that enqueued writes. It never blocks.
func (s *Sender) Notify() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// backoff is the wait after the attempts-th failed attempt.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.retryBase
	for i := 1; i < attempts && d < s.retryMax; i++ {
		d *= 2
	}
	return min(d, s.retryMax)
}
