package store_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/store/storetest"
	"github.com/goalpost/goalpost/pipeline/event"
)

// TestLabels: the labels of the stored events, each once, on both backends
// (events without labels add none).
func TestLabels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(testing.TB) *store.Store) {
		st := open(t)
		err := st.InTx(t.Context(), func(tx *store.Tx) error {
			for i, labels := range [][]string{{"perf", "auth"}, {"perf"}, nil, {"Billing"}} {
				ev := event.Event{ID: fmt.Sprintf("e%d", i), Source: event.SourceGitHub, Kind: event.KindPullRequestMerged,
					OccurredAt: time.UnixMilli(int64(1000 + i)), Labels: labels}
				if _, err := tx.InsertEvent(t.Context(), ev); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.Labels(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if want := []string{"Billing", "auth", "perf"}; !slices.Equal(got, want) {
			t.Errorf("labels %v, want %v", got, want)
		}
	})
}

// TestOpenExistingCreatesNothing: OpenExisting on a missing file is
// ErrNotFound and leaves no file behind; on a store it reads without
// migrating.
func TestOpenExistingCreatesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "goalpost.db")
	if _, err := store.OpenExisting(t.Context(), path); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("OpenExisting on no file = %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Fatalf("OpenExisting created %s: %v", filepath.Dir(path), err)
	}
	path = filepath.Join(t.TempDir(), "g.db")
	created, err := store.Open(t.Context(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	_ = created.Close()
	st, err := store.OpenExisting(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if labels, err := st.Labels(t.Context()); err != nil || len(labels) != 0 {
		t.Errorf("labels of an empty store = %v, %v", labels, err)
	}
	err = st.InTx(t.Context(), func(tx *store.Tx) error {
		_, err := tx.InsertEvent(t.Context(), event.Event{ID: "e", Source: event.SourceGitHub, Kind: event.KindPullRequestMerged, OccurredAt: time.UnixMilli(1)})
		return err
	})
	if err == nil {
		t.Error("a store opened by OpenExisting took a write")
	}
}
