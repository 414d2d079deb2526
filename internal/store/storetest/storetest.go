// Package storetest opens stores for tests, on SQLite or on a real
// PostgreSQL server (package pgtest), so that the same store, engine,
// writeback and report tests run on both backends (ADR 22): Open follows
// $GOALPOST_TEST_STORE; Each runs a test once per backend.
package storetest

import (
	"context"
	"log/slog"
	"testing"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/store/pgtest"
)

// Open opens a store for t that lives until t ends: the SQLite file at
// path, or on PostgreSQL (see Backend) a schema named after path, so that
// opening the same path again (a restart) finds the same data.
func Open(t testing.TB, path string) *store.Store {
	t.Helper()
	if pgtest.Backend() == "postgres" {
		return OpenPostgres(t, path)
	}
	st, err := store.Open(t.Context(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// OpenPostgres opens a PostgreSQL store on the schema named after name
// (see pgtest.Migrated: empty at first use, emptied when t ends).
func OpenPostgres(t testing.TB, name string) *store.Store {
	t.Helper()
	st, err := store.OpenPostgres(t.Context(), pgtest.Migrated(t, name, Migrate), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// Migrate applies the store's migrations to the database at dsn (for
// pgtest.Migrated).
func Migrate(ctx context.Context, dsn string) error {
	st, err := store.OpenPostgres(ctx, dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	return st.Close()
}

// Each runs fn as a subtest per backend, "sqlite" and "postgres", with a
// function that opens a fresh store of that backend.
func Each(t *testing.T, fn func(t *testing.T, open func(t testing.TB) *store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, func(t testing.TB) *store.Store {
			st, err := store.Open(t.Context(), t.TempDir()+"/goalpost.db", slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			return st
		})
	})
	t.Run("postgres", func(t *testing.T) {
		pgtest.DSN(t, "probe") // skip (or fail in CI) before fn starts when no server
		fn(t, func(t testing.TB) *store.Store { return OpenPostgres(t, t.TempDir()) })
	})
}
