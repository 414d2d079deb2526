package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/goalpost/goalpost/pipeline/event"
)

// InsertEvent stores ev unless an event with its id is already stored. It
// reports whether ev was new: the same fact arriving twice is stored once.
func (t *Tx) InsertEvent(ctx context.Context, ev event.Event) (bool, error) {
	body, err := json.Marshal(bodyOf(ev))
	if err != nil {
		return false, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	stmt, err := t.stmt(ctx, `INSERT INTO events
		(id, source, kind, occurred_at, actor_handle, repo, unit, title, url, issue, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`) // stored_seq: the next rowid (SQLite), the identity (PostgreSQL)
	if err != nil {
		return false, err
	}
	res, err := stmt.ExecContext(steady(ctx), ev.ID, ev.Source, ev.Kind, ev.OccurredAt.UnixMilli(), ev.ActorHandle, ev.Repo, ev.Unit, ev.Title, ev.URL, issueFlag(ev), string(body))
	if err != nil {
		return false, fmt.Errorf("insert event %s: %w", ev.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// issueFlag is the events' issue column: 1 when ev sets its unit's issue
// state (event.IsIssueState) or deletes it; those events, and only they,
// are found by unit (IssueEventsBefore).
func issueFlag(ev event.Event) int {
	if ev.IsIssueState() || (ev.Unit != "" && ev.Kind == event.KindIssueDeleted) {
		return 1
	}
	return 0
}

// CountEvents returns how many events are stored.
func (s *Store) CountEvents(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM events`)
	return n, err
}

// Event returns the stored event with the given id, or ErrNotFound.
func (s *Store) Event(ctx context.Context, id string) (event.Event, error) {
	var row storedEvent
	if err := s.db.GetContext(ctx, &row, `SELECT `+eventCols+` FROM events WHERE id = ?`, id); err != nil {
		return event.Event{}, fmt.Errorf("event %s: %w", id, notFound(err))
	}
	return row.event()
}

// storedBody is the body column: what of an event the columns do not
// hold (they hold its ID, source, kind, time, actor handle, repo, unit,
// title and URL), as JSON under one-letter names (migration 00252; the
// names of event.Event before it). The time is in the body only when it
// has more than milliseconds.
type storedBody struct {
	Actor       string                `json:"a,omitempty"`
	Links       []string              `json:"k,omitempty"`
	Labels      []string              `json:"l,omitempty"`
	Environment string                `json:"e,omitempty"`
	SHAs        []string              `json:"s,omitempty"`
	Numbers     map[string]float64    `json:"n,omitempty"`
	Attrs       map[string]string     `json:"t,omitempty"`
	Shipped     []event.ShippedChange `json:"p,omitempty"`
	OccurredAt  time.Time             `json:"o,omitzero"`
}

func bodyOf(ev event.Event) storedBody {
	b := storedBody{Actor: ev.Actor, Links: ev.Links, Labels: ev.Labels, Environment: ev.Environment, SHAs: ev.SHAs,
		Numbers: ev.Numbers, Attrs: ev.Attrs, Shipped: ev.Shipped}
	if !ev.OccurredAt.Equal(time.UnixMilli(ev.OccurredAt.UnixMilli())) {
		b.OccurredAt = ev.OccurredAt
	}
	return b
}

// eventCols are the columns storedEvent reads.
const eventCols = `id, source, kind, occurred_at, actor_handle, repo, unit, title, url, body`

// storedEvent is one row of the events table.
type storedEvent struct {
	ID          string `db:"id"`
	Source      string `db:"source"`
	Kind        string `db:"kind"`
	OccurredAt  int64  `db:"occurred_at"`
	ActorHandle string `db:"actor_handle"`
	Repo        string `db:"repo"`
	Unit        string `db:"unit"`
	Title       string `db:"title"`
	URL         string `db:"url"`
	Body        string `db:"body"`
}

// event decodes the row: its columns, and its body.
func (r storedEvent) event() (event.Event, error) {
	var b storedBody
	if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
		return event.Event{}, fmt.Errorf("decode stored event %s: %w", r.ID, err)
	}
	ev := event.Event{ID: r.ID, Source: r.Source, Kind: r.Kind, OccurredAt: b.OccurredAt, ActorHandle: r.ActorHandle,
		Actor: b.Actor, Repo: r.Repo, Title: r.Title, URL: r.URL, Unit: r.Unit, Links: b.Links, Labels: b.Labels,
		Environment: b.Environment, SHAs: b.SHAs, Numbers: b.Numbers, Attrs: b.Attrs, Shipped: b.Shipped}
	if ev.OccurredAt.IsZero() || ev.OccurredAt.UnixMilli() != r.OccurredAt {
		ev.OccurredAt = time.UnixMilli(r.OccurredAt).UTC()
	}
	return ev, nil
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
	q := `SELECT stored_seq, ` + eventCols + ` FROM events WHERE stored_seq > ?`
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

func scanPage(rows *sqlx.Rows, after *int64, fn func(event.Event) error) (int, error) {
	defer rows.Close()
	n := 0
	for rows.Next() {
		var row struct {
			Seq int64 `db:"stored_seq"`
			storedEvent
		}
		if err := rows.StructScan(&row); err != nil {
			return n, fmt.Errorf("scan events: %w", err)
		}
		*after = row.Seq
		ev, err := row.event()
		if err != nil {
			return n, err
		}
		if err := fn(ev); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}
