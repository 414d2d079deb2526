package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
)

// poll runs one poll of source name and records its outcome through the
// engine in the store, where `goalpost status` reads each source's last
// success and last error, and where a failure begins the source's outage:
// its key results stay frozen at their value of that moment, across
// restarts, until a poll succeeds (engine.RecordPoll).
func (a *app) poll(ctx context.Context, name string) error {
	err := a.pollers[name].PollOnce(ctx)
	if ctx.Err() != nil {
		return err // stopping: neither a success nor the source's failure
	}
	if err != nil {
		a.metrics.PollError(name)
	} else {
		a.metrics.PollOK(name, a.now())
	}
	if rerr := a.engine.RecordPoll(ctx, name, err); rerr != nil {
		a.log.Warn("record poll", "source", name, "err", rerr)
	}
	return err
}

// pollEvery polls source name now and then at its interval until ctx ends
// (connector.Run). A failed poll is logged and recorded; the next one tries
// again.
func (a *app) pollEvery(ctx context.Context, name string) error {
	every := a.pollers[name].every
	if every <= 0 {
		return fmt.Errorf("no poll interval for %s", name) // a wiring mistake in buildConnectors
	}
	return connector.Run(ctx, name, every, func(ctx context.Context) error { return a.poll(ctx, name) }, a.log)
}

// pollAll polls every source at once and, when w is not nil, prints each
// one's result as it finishes ("github: ok", "jira: failed: …"). It returns
// every failure, each naming its source: a failing source does not stop
// the others.
func (a *app) pollAll(ctx context.Context, w io.Writer) error {
	type result struct {
		name string
		err  error
	}
	names := slices.Sorted(maps.Keys(a.pollers))
	done := make(chan result, len(names))
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done <- result{name, a.poll(ctx, name)}
		}()
	}
	var errs []error
	for range names {
		r := <-done
		if r.err != nil {
			errs = append(errs, fmt.Errorf("poll %s: %w", r.name, r.err))
		}
		if w != nil {
			fmt.Fprintf(w, "%s: %s\n", r.name, outcome(r.err))
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	return "failed: " + err.Error()
}

// cycle is one full poll → evaluate → write pass (sync --once, the demo),
// then a read of the owners' notes (after the write, which creates a new
// page's check-in).
// Each source's result is printed to w as it finishes (nil: not printed).
// Its error names every failure: every failing source, then any failure to
// evaluate or write.
func (a *app) cycle(ctx context.Context, w io.Writer) (processed int, err error) {
	pollErr := a.pollAll(ctx, w)
	processed, err = a.consumer.Drain(ctx)
	if err == nil {
		err = a.engine.Tick(ctx)
	}
	if err == nil {
		err = a.writer.Flush(ctx)
	}
	return processed, errors.Join(pollErr, err, a.readNotes(ctx))
}

// readNotes reads the owners' notes back from the Notion check-ins into
// the store (report.NotesReader), when goalpost keeps check-ins; the
// dashboard's open pages hear of what changed.
func (a *app) readNotes(ctx context.Context) error {
	if a.notes == nil {
		return nil
	}
	n, err := a.notes.ReadOnce(ctx)
	if n > 0 && a.hub != nil {
		a.hub.Notify()
	}
	if err != nil {
		return fmt.Errorf("notion notes: %w", err)
	}
	return nil
}

// tick re-evaluates every key result at an interval, so time-based status
// (pace, stale) moves without new events.
func (a *app) tick(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := a.engine.Tick(ctx); err != nil {
				a.log.Warn("re-evaluate", "err", err)
			}
			a.writer.Notify()
			a.hub.Notify()
		}
	}
}
