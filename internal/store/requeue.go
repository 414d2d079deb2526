package store

import (
	"context"
	"fmt"
)

// RequeueAll marks every write to targets starting with prefix ("notion:")
// pending again, so the latest payload of each is sent once more: for a
// destination restored from scratch (and the demo's sandbox, which starts
// empty on every run). It returns how many writes were requeued.
func (s *Store) RequeueAll(ctx context.Context, prefix string) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt = 0, last_error = ''
		WHERE substr(target, 1, length(?)) = ?`, prefix, prefix)
	if err != nil {
		return 0, fmt.Errorf("requeue %s: %w", prefix, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
