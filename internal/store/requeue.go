package store

import (
	"context"
	"fmt"
)

// RequeueAll marks every write to service ("notion") pending again, so the
// latest payload of each is sent once more: for a destination restored from
// scratch (and the demo's sandbox, which starts empty on every run). It
// returns how many writes were requeued.
func (s *Store) RequeueAll(ctx context.Context, service string) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt = 0, last_error = ''
		WHERE service = ?`, service)
	if err != nil {
		return 0, fmt.Errorf("requeue %s: %w", service, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
