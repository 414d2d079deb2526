package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// InsertEvent stores ev unless an event with its id is already stored. It
// reports whether ev was new: the same fact arriving twice is stored once.
func (t *Tx) InsertEvent(ctx context.Context, ev event.Event) (bool, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return false, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	stmt, err := t.stmt(ctx, `INSERT INTO events
		(id, source, kind, occurred_at, actor_handle, repo, unit, body, stored_seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(stored_seq), 0) + 1 FROM events))
		ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return false, err
	}
	res, err := stmt.ExecContext(ctx, ev.ID, ev.Source, ev.Kind, ev.OccurredAt.UnixMilli(), ev.ActorHandle, ev.Repo, ev.Unit, string(body))
	if err != nil {
		return false, fmt.Errorf("insert event %s: %w", ev.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CountEvents returns how many events are stored.
func (s *Store) CountEvents(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM events`)
	return n, err
}

// Event returns the stored event with the given id, or ErrNotFound.
func (s *Store) Event(ctx context.Context, id string) (event.Event, error) {
	var body string
	if err := s.db.GetContext(ctx, &body, `SELECT body FROM events WHERE id = ?`, id); err != nil {
		return event.Event{}, fmt.Errorf("event %s: %w", id, notFound(err))
	}
	var ev event.Event
	err := json.Unmarshal([]byte(body), &ev)
	return ev, err
}

// EventFilter narrows ScanEvents. Zero fields match everything.
type EventFilter struct {
	Sources []string
	From    time.Time // inclusive
	To      time.Time // exclusive
}

// ScanEvents calls fn for every stored event matching f, in the order they
// were stored, reading in pages so memory stays flat over millions of events.
// It stops at the first error fn returns.
func (s *Store) ScanEvents(ctx context.Context, f EventFilter, fn func(event.Event) error) error {
	const page = 2000
	var after int64
	for {
		q, args := scanQuery(f, after, page)
		rows, err := s.db.QueryxContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("scan events: %w", err)
		}
		n, err := scanPage(rows, &after, fn)
		if err != nil || n < page {
			return err
		}
	}
}

func scanQuery(f EventFilter, after int64, limit int) (string, []any) {
	q := `SELECT stored_seq, body FROM events WHERE stored_seq > ?`
	args := []any{after}
	if !f.From.IsZero() {
		q += ` AND occurred_at >= ?`
		args = append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		q += ` AND occurred_at < ?`
		args = append(args, f.To.UnixMilli())
	}
	if len(f.Sources) > 0 {
		q += ` AND source IN (?` + strings.Repeat(",?", len(f.Sources)-1) + `)`
		for _, s := range f.Sources {
			args = append(args, s)
		}
	}
	q += ` ORDER BY stored_seq LIMIT ?`
	return q, append(args, limit)
}

func scanPage(rows interface {
	Next() bool
	Scan(...any) error
	Close() error
	Err() error
}, after *int64, fn func(event.Event) error) (int, error) {
	defer rows.Close()
	n := 0
	for rows.Next() {
		var body string
		if err := rows.Scan(after, &body); err != nil {
			return n, fmt.Errorf("scan events: %w", err)
		}
		var ev event.Event
		if err := json.Unmarshal([]byte(body), &ev); err != nil {
			return n, fmt.Errorf("decode stored event: %w", err)
		}
		if err := fn(ev); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}
