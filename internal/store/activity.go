package store

import (
	"context"
	"encoding/json"
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
	rows, err := s.db.QueryxContext(ctx, `SELECT source, kind, actor_handle, occurred_at,
		CASE WHEN kind = ? THEN body ELSE '' END AS body
		FROM events WHERE occurred_at >= ? AND occurred_at < ? AND actor_handle != ''
		ORDER BY occurred_at, id`, event.KindChangeShipped, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return fmt.Errorf("scan activity: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Activity
		var at int64
		var body string
		if err := rows.Scan(&a.Source, &a.Kind, &a.ActorHandle, &at, &body); err != nil {
			return fmt.Errorf("scan activity: %w", err)
		}
		a.OccurredAt = time.UnixMilli(at).UTC()
		if body != "" {
			var ev event.Event
			if err := json.Unmarshal([]byte(body), &ev); err != nil {
				return fmt.Errorf("decode stored event: %w", err)
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
	var bodies []string
	err := s.db.SelectContext(ctx, &bodies, `SELECT body FROM events
		WHERE unit = ? OR json_extract(body, '$.url') = ? ORDER BY occurred_at, id`, item, item)
	if err != nil {
		return nil, fmt.Errorf("events for %s: %w", item, err)
	}
	out := make([]event.Event, 0, len(bodies))
	for _, b := range bodies {
		var ev event.Event
		if err := json.Unmarshal([]byte(b), &ev); err != nil {
			return nil, fmt.Errorf("decode stored event: %w", err)
		}
		out = append(out, ev)
	}
	return out, nil
}
