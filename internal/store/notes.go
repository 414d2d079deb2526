package store

import (
	"context"
	"fmt"
	"time"
)

// Note sources.
const (
	NoteFromCLI    = "cli"
	NoteFromNotion = "notion"
)

// Note is an owner's note on a key result for one week.
type Note struct {
	KRKey  string    `db:"kr_key"`
	Week   string    `db:"week"` // ISO week
	Body   string    `db:"body"`
	Source string    `db:"source"`
	SetBy  string    `db:"set_by"`
	SetAt  time.Time `db:"-"`
	At     int64     `db:"set_at"`
}

// SetNote records n. A later note of the same key result and week
// replaces it as the week's note; an empty body clears it. A note set at
// the same moment as another replaces it.
func (s *Store) SetNote(ctx context.Context, n Note) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO kr_notes (kr_key, week, set_at, body, source, set_by)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kr_key, week, set_at) DO UPDATE SET body = excluded.body, source = excluded.source, set_by = excluded.set_by`,
		n.KRKey, n.Week, n.SetAt.UnixMilli(), n.Body, n.Source, n.SetBy)
	if err != nil {
		return fmt.Errorf("set note %s %s: %w", n.KRKey, n.Week, err)
	}
	return nil
}

// Notes returns the week's note of every key result that has one, as
// known at asOf (notes set later are left out, so a closed week reads the
// same), by key result.
func (s *Store) Notes(ctx context.Context, week string, asOf time.Time) (map[string]Note, error) {
	var rows []Note
	err := s.db.SelectContext(ctx, &rows, `SELECT kr_key, week, set_at, body, source, set_by FROM kr_notes
		WHERE week = ? AND set_at <= ? ORDER BY kr_key, set_at`, week, asOf.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("notes %s: %w", week, err)
	}
	out := map[string]Note{}
	for _, n := range rows {
		n.SetAt = time.UnixMilli(n.At).UTC()
		out[n.KRKey] = n // the latest wins
	}
	for k, n := range out {
		if n.Body == "" {
			delete(out, k)
		}
	}
	return out, nil
}

// LatestNote returns krKey's latest note of any week from source ("": any
// source), or ErrNotFound. The notes read from Notion compare with the
// last one read, so an unchanged text is not stored again.
func (s *Store) LatestNote(ctx context.Context, krKey, source string) (Note, error) {
	var n Note
	err := s.db.GetContext(ctx, &n, `SELECT kr_key, week, set_at, body, source, set_by FROM kr_notes
		WHERE kr_key = ? AND (? = '' OR source = ?) ORDER BY set_at DESC LIMIT 1`, krKey, source, source)
	if err != nil {
		return n, fmt.Errorf("note %s: %w", krKey, notFound(err))
	}
	n.SetAt = time.UnixMilli(n.At).UTC()
	return n, nil
}
