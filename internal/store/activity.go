package store

import (
	"context"
	"fmt"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// Activity is one stored event reduced to who did what when, for the
// weekly baseline. Event is set only for change.shipped events.
type Activity struct {
	Source      string
	Kind        string
	ActorHandle string
	OccurredAt  time.Time
	Event       *event.Event
}

// ScanActivity calls fn for every stored event with an actor handle that
// occurred in [from, to), oldest first. Only change.shipped events are
// decoded in full.
func (s *Store) ScanActivity(ctx context.Context, from, to time.Time, fn func(Activity) error) error {
	rows, err := s.db.QueryxContext(ctx, `SELECT id, source, kind, actor_handle, occurred_at, repo, unit, title, url,
		CASE WHEN kind = ? THEN body ELSE '' END AS body
		FROM events WHERE occurred_at >= ? AND occurred_at < ? AND actor_handle != ''
		ORDER BY occurred_at, id`, event.KindChangeShipped, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return fmt.Errorf("scan activity: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var row storedEvent
		if err := rows.StructScan(&row); err != nil {
			return fmt.Errorf("scan activity: %w", err)
		}
		a := Activity{Source: row.Source, Kind: row.Kind, ActorHandle: row.ActorHandle, OccurredAt: time.UnixMilli(row.OccurredAt).UTC()}
		if row.Body != "" {
			ev, err := row.event()
			if err != nil {
				return err
			}
			a.Event = &ev
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EventsByItem returns the stored events whose URL or unit is item, oldest
// first (for explain --item). It scans the table: meant for one-off use.
func (s *Store) EventsByItem(ctx context.Context, item string) ([]event.Event, error) {
	var rows []storedEvent
	err := s.db.SelectContext(ctx, &rows, `SELECT `+eventCols+` FROM events
		WHERE unit = ? OR url = ? ORDER BY occurred_at, id`, item, item)
	if err != nil {
		return nil, fmt.Errorf("events for %s: %w", item, err)
	}
	out := make([]event.Event, 0, len(rows))
	for _, r := range rows {
		ev, err := r.event()
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}
