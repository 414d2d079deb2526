package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Cursor returns the saved poll cursor for (source, key), or "" if none.
func (s *Store) Cursor(ctx context.Context, source, key string) (string, error) {
	var v string
	err := s.db.GetContext(ctx, &v, `SELECT value FROM cursors WHERE source = ? AND key = ?`, source, key)
	if err = notFound(err); errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cursor %s/%s: %w", source, key, err)
	}
	return v, nil
}

// SetCursor saves a poll cursor. Pollers call it only after the events read
// up to that cursor are stored (acknowledged by the stream).
func (s *Store) SetCursor(ctx context.Context, source, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO cursors (source, key, value, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		source, key, value, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("set cursor %s/%s: %w", source, key, err)
	}
	return nil
}

// CursorRow is one saved poll cursor.
type CursorRow struct {
	Source    string
	Key       string
	Value     string
	UpdatedAt time.Time
}

// Cursors returns every saved poll cursor, by source and key.
func (s *Store) Cursors(ctx context.Context) ([]CursorRow, error) {
	var rows []struct {
		Source    string `db:"source"`
		Key       string `db:"key"`
		Value     string `db:"value"`
		UpdatedAt int64  `db:"updated_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT source, key, value, updated_at FROM cursors ORDER BY source, key`); err != nil {
		return nil, fmt.Errorf("cursors: %w", err)
	}
	out := make([]CursorRow, len(rows))
	for i, r := range rows {
		out[i] = CursorRow{Source: r.Source, Key: r.Key, Value: r.Value, UpdatedAt: fromMillis(r.UpdatedAt)}
	}
	return out, nil
}
