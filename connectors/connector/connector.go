// Package connector is the contract every connector meets, declared once:
// what it publishes to (Publisher), where it keeps its poll cursors
// (CursorStore), what cmd runs (Poller) and how a poller reports its health
// (Health); and the poll loop with its schedule (Run). Connectors import it;
// cmd wires a *pipeline.Publisher and a *store.Store into every one of them.
package connector

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// Publisher stores events durably (*pipeline.Publisher).
type Publisher interface {
	// Publish returns nil only after the stream has durably stored every
	// event; it is idempotent by event ID (duplicates dropped) and blocks
	// until stored or ctx ends. On error nothing may be assumed stored: a
	// poller keeps its cursor, a webhook answers 5xx so the sender retries.
	Publish(ctx context.Context, evs ...event.Event) error
}

// CursorStore keeps poll cursors and other small connector state
// (*store.Store). Both calls are safe for concurrent use.
type CursorStore interface {
	// Cursor returns the value saved for (source, key), or "" when unset.
	Cursor(ctx context.Context, source, key string) (string, error)
	// SetCursor saves a value; callers save only after the events read up
	// to it were published.
	SetCursor(ctx context.Context, source, key, value string) error
}

// Poller is a connector's polling side, as cmd runs it.
type Poller interface {
	// Run polls until ctx ends (see Run); it returns nil when ctx is
	// cancelled.
	Run(ctx context.Context) error
	// PollOnce runs one incremental poll and returns when its events are
	// stored (or with the poll's error; cursors then stay where they were).
	PollOnce(ctx context.Context) error
	// LastError is the last poll's error, nil when it succeeded (the engine
	// marks key results fed by a failing source stale).
	LastError() error
}

// CheckSource is the first thing a source's constructor does: it fails,
// naming the connector, when the config, the publisher, the cursor store or
// the logger is missing, or when the config does not validate.
func CheckSource[T any, C interface {
	*T
	Validate() error
}](name string, cfg C, pub Publisher, cursors CursorStore, log *slog.Logger) error {
	if cfg == nil || pub == nil || cursors == nil || log == nil {
		return fmt.Errorf("%s source: config, publisher, cursor store and logger are required", name)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%s source: %w", name, err)
	}
	return nil
}

// Health remembers the outcome of a poller's last poll. Embed it in a
// source to get LastError; call Set at the end of each poll. The zero value
// is ready and it is safe for concurrent use.
type Health struct {
	mu  sync.Mutex
	err error
}

// LastError is the last poll's error, nil when it succeeded.
func (h *Health) LastError() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// Set records a poll's outcome.
func (h *Health) Set(err error) {
	h.mu.Lock()
	h.err = err
	h.mu.Unlock()
}

// Run is the poll loop every poller uses: it polls at once, then every
// interval, until ctx ends. A failed poll is logged as "<name> poll
// failed" and tried again at the next tick (the poller's LastError reports
// it); polls never overlap, and a poll that outlasts the interval is
// followed by the next one at once. It returns nil when ctx is cancelled.
func Run(ctx context.Context, name string, interval time.Duration, poll func(context.Context) error, log *slog.Logger) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for ctx.Err() == nil { // a tick and the stop can be ready together: stop wins
		if err := poll(ctx); err != nil && ctx.Err() == nil {
			log.Warn(name+" poll failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
	return nil
}
