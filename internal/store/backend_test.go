package store

import (
	"context"
	"log/slog"
	"testing"

	"github.com/goalpost/goalpost/internal/store/pgtest"
)

// openTest opens the store the package's own tests run on: the SQLite file
// at path, or with GOALPOST_TEST_STORE=postgres a PostgreSQL schema named
// after path (storetest.Open, which this package's internal tests cannot
// import).
func openTest(t *testing.T, path string) *Store {
	t.Helper()
	var (
		s   *Store
		err error
	)
	if pgtest.Backend() == "postgres" {
		s, err = OpenPostgres(t.Context(), pgtest.Migrated(t, path, migrateTemplate), slog.New(slog.DiscardHandler))
	} else {
		s, err = Open(t.Context(), path, slog.New(slog.DiscardHandler))
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func migrateTemplate(ctx context.Context, dsn string) error {
	s, err := OpenPostgres(ctx, dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	return s.Close()
}
