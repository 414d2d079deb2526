package engine

import (
	"context"
	"fmt"

	"github.com/goalpost/goalpost/internal/store"
)

// RecordPoll records one poll of source, ended now: a success, or a failure
// with its error (store.RecordPoll), and makes the stale value
// deterministic (ADR 7). The first failure after a success begins the
// source's outage: in the same transaction every key result that has a
// result is first evaluated with the source still healthy, so the value it
// freezes at is the one computed from the events stored up to that moment;
// then the outage is recorded in the store, so that every evaluation after
// it, in this process or after any number of restarts, keeps that value
// until a poll of the source succeeds. That first success recomputes every
// key result from everything stored. Polls that change nothing (another
// failure during the outage, another success) only record their outcome.
func (e *Engine) RecordPoll(ctx context.Context, source string, pollErr error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock()
	err := e.st.InTx(ctx, func(tx *store.Tx) error {
		k := tx.KR()
		defer k.Close()
		down, err := k.View().Outages(ctx)
		if err != nil {
			return err
		}
		_, wasDown := down[source]
		if wasDown == (pollErr != nil) {
			return tx.RecordPoll(ctx, source, now, pollErr)
		}
		if pollErr == nil { // recovered: recompute from everything stored
			if err := tx.RecordPoll(ctx, source, now, nil); err != nil {
				return err
			}
			_, err := e.refresh(ctx, tx, k, e.allKeys(), now)
			return err
		}
		keys, err := e.evaluatedKeys(ctx, k.View())
		if err != nil {
			return err
		}
		if _, err := e.refresh(ctx, tx, k, keys, now); err != nil {
			return err
		}
		return tx.RecordPoll(ctx, source, now, pollErr)
	})
	if err != nil {
		return fmt.Errorf("record poll %s: %w", source, err)
	}
	return nil
}

// evaluatedKeys are the configured key results that have a stored result:
// one with none shows no data while stale (never a zero computed from
// events not fetched yet), so it is not evaluated when an outage begins.
func (e *Engine) evaluatedKeys(ctx context.Context, view store.KRView) ([]string, error) {
	states, err := view.States(ctx)
	if err != nil {
		return nil, err
	}
	has := make(map[string]bool, len(states))
	for _, st := range states {
		has[st.KRKey] = true
	}
	var out []string
	for _, key := range e.allKeys() {
		if has[key] {
			out = append(out, key)
		}
	}
	return out, nil
}
