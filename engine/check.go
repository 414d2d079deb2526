package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/goalpost/goalpost/internal/store"
)

// Mismatch is a key result whose incremental result differs from the
// reference (from scratch): both as JSON.
type Mismatch struct {
	KRKey                  string
	Incremental, Reference []byte
}

// errCheckDone rolls Check's transaction back: a check changes nothing.
var errCheckDone = errors.New("check done")

// Check evaluates every key result twice at the same moment, from its
// incremental state and from scratch by the reference queries, and returns
// those whose results differ (byte for byte, as JSON). It changes nothing:
// the window moves it makes are rolled back.
func (e *Engine) Check(ctx context.Context) ([]Mismatch, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock()
	var out []Mismatch
	err := e.st.InTx(ctx, func(tx *store.Tx) error {
		k := tx.KR()
		view := k.View()
		for _, r := range e.set.Rules() {
			inc, err := e.evaluate(ctx, view, k, r, now)
			if err != nil {
				return err
			}
			ref, err := e.evaluate(ctx, view, nil, r, now)
			if err != nil {
				return err
			}
			a, _ := json.Marshal(inc)
			b, _ := json.Marshal(ref)
			if !bytes.Equal(a, b) {
				out = append(out, Mismatch{KRKey: r.Key, Incremental: a, Reference: b})
			}
		}
		return errCheckDone
	})
	if err != nil && !errors.Is(err, errCheckDone) {
		return nil, fmt.Errorf("check: %w", err)
	}
	return out, nil
}

// WriteCheck runs Check and prints its verdict; it fails when any key
// result differs.
func (e *Engine) WriteCheck(ctx context.Context, w io.Writer) error {
	bad, err := e.Check(ctx)
	if err != nil {
		return err
	}
	p := &printer{w: w}
	for _, m := range bad {
		p.f("  %s differs:\n    incremental %s\n    reference   %s\n", m.KRKey, m.Incremental, m.Reference)
	}
	if p.err != nil {
		return p.err
	}
	if len(bad) > 0 {
		return fmt.Errorf("check: %d of %d key results differ from a computation from scratch", len(bad), len(e.set.Rules()))
	}
	p.f("check: the incremental state of %d key results matches a computation from scratch\n", len(e.set.Rules()))
	return p.err
}
