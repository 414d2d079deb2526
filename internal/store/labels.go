package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/jmoiron/sqlx"
)

// OpenExisting opens the SQLite database file at path read-only, for a
// command that only looks (check): it creates no file, applies no
// migration and writes nothing. A missing file is an error wrapping
// ErrNotFound.
func OpenExisting(ctx context.Context, path string) (*Store, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store %s: %w", filepath.Base(path), ErrNotFound)
	}
	dsn := "file:" + uriPath(path) + "?mode=ro&_busy_timeout=10000"
	db, err := sqlx.ConnectContext(ctx, "sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", filepath.Base(path), err)
	}
	db.SetMaxOpenConns(2)
	return &Store{db: database{DB: db, dialect: sqliteDialect}, log: slog.New(slog.DiscardHandler)}, nil
}

// Labels returns every label the stored events carry, each once as first
// stored (case kept), in no particular order. It reads the whole events
// table.
func (s *Store) Labels(ctx context.Context) ([]string, error) {
	var out []string
	if err := s.db.SelectContext(ctx, &out, `SELECT DISTINCT l.value FROM `+s.db.dialect.eventLabels()); err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	return out, nil
}

// eventLabels is a FROM clause whose rows l.value are the stored events'
// labels (the body's JSON array "l", storedBody.Labels).
func (d dialect) eventLabels() string {
	if d == postgresDialect {
		return `events e, jsonb_array_elements_text(COALESCE(e.body::jsonb -> 'l', '[]'::jsonb)) AS l(value)`
	}
	return `events e, json_each(e.body, '$.l') AS l`
}
