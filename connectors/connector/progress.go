package connector

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Backfiller is a source that can load its history from a date, once
// (`goalpost sync --since DATE`).
type Backfiller interface {
	// Backfill reads everything the source changed since since, whatever
	// its cursors say, publishes its events (an event already stored
	// counts once) and tells progress how many items it read. It blocks
	// until done; cursors only move forward, so a regular poll continues
	// where it left off. An error leaves the cursors where they were.
	Backfill(ctx context.Context, since time.Time, progress *Progress) error
}

// LogEvery is how often a backfill's progress is logged.
const LogEvery = 10 * time.Second

// Progress tells how a backfill advances: on a terminal, one line redrawn
// in place ("jira backfill: 1200 items"); in the logs, a line at most every
// LogEvery, and one at the end. It is safe for concurrent use.
type Progress struct {
	source string
	term   io.Writer // nil when not a terminal
	log    *slog.Logger
	now    func() time.Time

	mu          sync.Mutex
	items       int
	start, last time.Time
}

// NewProgress returns source's progress, drawn on term (nil when not a
// terminal) and logged to log.
func NewProgress(source string, term io.Writer, log *slog.Logger, now func() time.Time) *Progress {
	t := now()
	return &Progress{source: source, term: term, log: log, now: now, start: t, last: t}
}

// Add counts n more items read.
func (p *Progress) Add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.items += n
	if p.term != nil {
		fmt.Fprintf(p.term, "\r%s backfill: %d items", p.source, p.items)
	}
	if now := p.now(); now.Sub(p.last) >= LogEvery {
		p.last = now
		p.log.Info("backfill progress", "source", p.source, "items", p.items, "elapsed", now.Sub(p.start).Round(time.Second))
	}
}

// Done ends the progress line and logs the outcome.
func (p *Progress) Done(err error) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := p.now().Sub(p.start).Round(time.Second)
	if p.term != nil {
		state := "done"
		if err != nil {
			state = "failed"
		}
		fmt.Fprintf(p.term, "\r%s backfill %s: %d items in %s\n", p.source, state, p.items, elapsed)
	}
	if err != nil {
		p.log.Warn("backfill failed", "source", p.source, "items", p.items, "err", err)
		return
	}
	p.log.Info("backfill done", "source", p.source, "items", p.items, "elapsed", elapsed)
}
