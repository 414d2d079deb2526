package engine

import (
	"context"
	"fmt"
	"io"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/rules"
)

// RebuildReport is what a rebuild changed.
type RebuildReport struct {
	Events    int        // stored events replayed
	Changed   []KRChange // key results whose result changed, in config order
	Removed   []KRChange // key results no longer configured (New is zero)
	Unchanged int        // key results whose result did not change
	Took      time.Duration
}

// KRChange is one key result's result before and after.
type KRChange struct {
	KRKey string
	Old   *rules.Result // nil for a new key result
	New   rules.Result
}

// Rebuild recomputes every key result from the stored events (no
// refetching), after rules or people changed, and prints which key results
// changed, from what to what. It runs in one transaction: if it fails
// nothing changes. Changed key results get their writebacks queued.
//
// A key result whose source is still failing comes out as before: stale
// freezes the value, and the stored result it was frozen from is kept by
// the rebuild, so its matches are recomputed but its value is recomputed
// only when the source recovers. One whose rule (version, baseline or
// target) changed since that result shows no data, stale, until then.
func (e *Engine) Rebuild(ctx context.Context, w io.Writer) error {
	rep, err := e.RebuildReport(ctx)
	if err != nil {
		return err
	}
	return writeRebuild(w, rep)
}

// RebuildReport is Rebuild returning the changes as data.
func (e *Engine) RebuildReport(ctx context.Context) (RebuildReport, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	start, now := e.now(), e.clock()
	var rep RebuildReport
	err := e.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		rep, err = e.replay(ctx, tx, now)
		return err
	})
	if err != nil {
		return RebuildReport{}, fmt.Errorf("rebuild: %w", err)
	}
	rep.Took = e.now().Sub(start)
	return rep, nil
}

// replay is the rebuild's transaction: forget what was derived from events,
// apply every stored event again, re-evaluate every key result.
func (e *Engine) replay(ctx context.Context, tx *store.Tx, now time.Time) (RebuildReport, error) {
	var rep RebuildReport
	k := tx.KR()
	defer k.Close()
	restore, err := k.BigCache(ctx)
	if err != nil {
		return rep, err
	}
	defer restore()
	if err := k.ResetDerived(ctx); err != nil {
		return rep, err
	}
	bulk := k.Replay()
	n, err := e.replayEvents(ctx, bulk)
	if err == nil {
		err = bulk.Flush(ctx)
	}
	if err != nil {
		return rep, fmt.Errorf("replay: %w", err)
	}
	rep.Events = n
	changes, err := e.refresh(ctx, tx, k, e.allKeys(), now)
	if err != nil {
		return rep, err
	}
	for _, c := range changes {
		kc := KRChange{KRKey: c.New.KRKey, New: c.New}
		if c.Old != nil {
			old, err := DecodeState(c.Old)
			if err != nil {
				return rep, err
			}
			kc.Old = &old
		}
		rep.Changed = append(rep.Changed, kc)
	}
	rep.Unchanged = len(e.set.Rules()) - len(changes)
	rep.Removed, err = e.dropUnconfigured(ctx, k)
	return rep, err
}

// matched is one stored event with the rules it matches.
type matched struct {
	ev      event.Event
	matches []rules.Match
}

// replayEvents applies every stored event to r, in stored order. Reading,
// decoding and matching run in one goroutine, r's work in another, so the
// two overlap; the reader stops when the other fails.
func (e *Engine) replayEvents(ctx context.Context, r recorder) (int, error) {
	g, gctx := errgroup.WithContext(ctx)
	ch := make(chan matched, 1024)
	g.Go(func() error {
		defer close(ch)
		return e.st.ScanEvents(gctx, store.EventFilter{}, func(ev event.Event) error {
			m := matched{ev: ev}
			m.matches = e.match(&m.ev)
			select {
			case ch <- m:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	n := 0
	g.Go(func() error {
		for m := range ch {
			n++
			if err := e.record(gctx, r, &m.ev, m.matches, nil); err != nil {
				return err
			}
		}
		return nil
	})
	err := g.Wait()
	return n, err
}

func (e *Engine) dropUnconfigured(ctx context.Context, k *store.KRTx) ([]KRChange, error) {
	states, err := k.View().States(ctx)
	if err != nil {
		return nil, err
	}
	var removed []KRChange
	for _, st := range states {
		if _, ok := e.set.Rule(st.KRKey); ok {
			continue
		}
		old, err := DecodeState(st.Result)
		if err != nil {
			return nil, err
		}
		if err := k.DeleteState(ctx, st.KRKey); err != nil {
			return nil, err
		}
		removed = append(removed, KRChange{KRKey: st.KRKey, Old: &old})
	}
	return removed, nil
}

func writeRebuild(w io.Writer, rep RebuildReport) error {
	p := &printer{w: w}
	p.f("rebuilt from %d stored events (nothing refetched)\n", rep.Events)
	for _, c := range rep.Changed {
		if c.Old == nil {
			p.f("  %s: new, %s (%s)\n", c.KRKey, value(c.New), c.New.Status)
			continue
		}
		p.f("  %s: %s\n", c.KRKey, describeChange(*c.Old, c.New))
	}
	for _, c := range rep.Removed {
		p.f("  %s: removed from the config (was %s)\n", c.KRKey, value(*c.Old))
	}
	p.f("%d changed, %d unchanged, %d removed\n", len(rep.Changed), rep.Unchanged, len(rep.Removed))
	return p.err
}

// describeChange says what differs between two results of one key result.
func describeChange(old, cur rules.Result) string {
	s := ""
	add := func(part string) {
		if s != "" {
			s += ", "
		}
		s += part
	}
	if old.Current != cur.Current || old.NoData != cur.NoData {
		add(fmt.Sprintf("value %s → %s", value(old), value(cur)))
	}
	if old.Progress != cur.Progress {
		add(fmt.Sprintf("progress %s → %s", present.Percent(old.Progress), present.Percent(cur.Progress)))
	}
	if old.Status != cur.Status {
		add(fmt.Sprintf("status %s → %s", present.Status(old.Status), present.Status(cur.Status)))
	}
	if old.EvidenceTotal != cur.EvidenceTotal {
		add(fmt.Sprintf("items %d → %d", old.EvidenceTotal, cur.EvidenceTotal))
	}
	if old.RuleVersion != cur.RuleVersion {
		add(fmt.Sprintf("rule version %s → %s", old.RuleVersion, cur.RuleVersion))
	}
	if s == "" {
		s = "value unchanged (" + value(cur) + "); evidence or details changed"
	}
	return s
}

// printer writes formatted lines, keeping the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
