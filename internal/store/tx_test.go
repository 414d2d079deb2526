package store_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
)

// A transaction's statements do not watch the context, but InTx does
// before it commits: canceled halfway, it commits nothing.
func TestInTxCanceledCommitsNothing(t *testing.T) {
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "g.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(t.Context())
	err = st.InTx(ctx, func(tx *store.Tx) error {
		ev := event.Event{ID: "e1", Source: "github", Kind: event.KindPullRequestMerged, OccurredAt: time.UnixMilli(1000)}
		if _, err := tx.InsertEvent(ctx, ev); err != nil {
			return err
		}
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("InTx = %v, want context.Canceled", err)
	}
	if n, err := st.CountEvents(t.Context()); err != nil || n != 0 {
		t.Fatalf("stored events = %d, %v; want 0", n, err)
	}
}
