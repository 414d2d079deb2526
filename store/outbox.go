package store

import (
	"context"
	"fmt"
	"time"
)

// Write is one queued writeback: the latest payload for one target.
type Write struct {
	// Target names the destination, "<service>:<kind>:<id>" (notion:page:ID,
	// linear:project:ID, linear:initiative:ID). Only the latest payload per
	// target is kept: enqueueing again replaces it.
	Target  string
	KRKey   string
	Payload []byte // JSON, interpreted by the sink for the target's service
}

// EnqueueWrite queues w in the same transaction as the state that caused it,
// replacing any pending payload for the same target (coalescing). A payload
// equal to the last one sent for the target is not queued again.
func (t *Tx) EnqueueWrite(ctx context.Context, w Write, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO outbox (target, kr_key, payload, seq, state, attempts, next_attempt, enqueued_at)
		VALUES (?, ?, ?, 1, 'pending', 0, 0, ?)
		ON CONFLICT (target) DO UPDATE SET
			kr_key = excluded.kr_key, payload = excluded.payload, seq = outbox.seq + 1,
			state = 'pending', attempts = 0, next_attempt = 0, last_error = '', enqueued_at = excluded.enqueued_at
		WHERE outbox.payload != excluded.payload OR (outbox.state = 'sent' AND outbox.sent_payload != excluded.payload)`,
		w.Target, w.KRKey, string(w.Payload), now.UnixMilli())
	if err != nil {
		return fmt.Errorf("enqueue write %s: %w", w.Target, err)
	}
	return nil
}
