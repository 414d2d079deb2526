package store

import (
	"context"
	"fmt"
	"time"
)

// SetAway records that person was away in week (an ISO week, "2026-W47").
// Recording it again changes nothing.
func (s *Store) SetAway(ctx context.Context, person, week string, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO away_weeks (person, week, set_at) VALUES (?, ?, ?)
		ON CONFLICT (person, week) DO NOTHING`, person, week, at.UnixMilli()); err != nil {
		return fmt.Errorf("set away %s %s: %w", person, week, err)
	}
	return nil
}

// AwayWeeks returns the recorded away weeks, by person then week.
func (s *Store) AwayWeeks(ctx context.Context) (map[string]map[string]bool, error) {
	var rows []struct {
		Person string `db:"person"`
		Week   string `db:"week"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT person, week FROM away_weeks`); err != nil {
		return nil, fmt.Errorf("away weeks: %w", err)
	}
	out := map[string]map[string]bool{}
	for _, r := range rows {
		if out[r.Person] == nil {
			out[r.Person] = map[string]bool{}
		}
		out[r.Person][r.Week] = true
	}
	return out, nil
}

// HistoryStart is when the stored history of sources begins: the earliest
// occurred-at of their events, zero when none is stored.
func (s *Store) HistoryStart(ctx context.Context, sources []string) (time.Time, error) {
	var first time.Time
	for _, src := range sources {
		var ms int64
		err := s.db.GetContext(ctx, &ms, `SELECT occurred_at FROM events WHERE source = ? ORDER BY occurred_at LIMIT 1`, src)
		switch {
		case notFound(err) == ErrNotFound:
			continue
		case err != nil:
			return time.Time{}, fmt.Errorf("history start: %w", err)
		}
		if t := time.UnixMilli(ms).UTC(); first.IsZero() || t.Before(first) {
			first = t
		}
	}
	return first, nil
}
