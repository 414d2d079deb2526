package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/writeback/outbox"
)

// Write is one queued writeback: the latest payload for one target.
type Write struct {
	// Target names the destination. Only the latest payload per target is
	// kept: enqueueing again replaces it.
	Target  outbox.Target
	KRKey   string
	Payload []byte // JSON, interpreted by the sink for the target's service
}

// Outbox states.
const (
	WritePending = "pending"
	WriteSent    = "sent"
	WriteParked  = "parked"
)

// EnqueueWrite queues w in the same transaction as the state that caused it,
// replacing any pending payload for the same target (coalescing). A payload
// equal to the last one sent for the target is not queued again; one that
// reverts a pending change to what was last sent marks the target sent,
// unless that change was already handed to a sink (it may have reached the
// service, so the reverting payload is sent). While an older payload is
// being sent (claimed, its lease running) or waits for its retry, the new
// one keeps that time: a second sender does not write the target at the
// same moment, and a Retry-After holds. The sender of the older payload
// releases the lease when it records its outcome (see MarkWriteSent).
func (t *Tx) EnqueueWrite(ctx context.Context, w Write, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO outbox (target, service, kr_key, payload, seq, state, attempts, next_attempt, enqueued_at)
		VALUES (?, ?, ?, ?, 1, 'pending', 0, 0, ?)
		ON CONFLICT (target) DO UPDATE SET
			kr_key = excluded.kr_key, payload = excluded.payload, seq = outbox.seq + 1,
			state = CASE WHEN excluded.payload = outbox.sent_payload AND outbox.attempts = 0 THEN 'sent' ELSE 'pending' END,
			attempts = 0,
			next_attempt = CASE WHEN `+busy+` THEN outbox.next_attempt ELSE 0 END,
			last_error = CASE WHEN `+busy+` THEN outbox.last_error ELSE '' END,
			enqueued_at = excluded.enqueued_at
		WHERE outbox.payload != excluded.payload OR (outbox.state = 'sent' AND outbox.sent_payload != excluded.payload)`,
		w.Target.String(), w.Target.Service, w.KRKey, string(w.Payload), now.UnixMilli())
	if err != nil {
		return fmt.Errorf("enqueue write %s: %w", w.Target, err)
	}
	return nil
}

// EnqueueOnce queues w unless its target has a row already, in whatever
// state: a send that must happen once (a team's weekly report to one
// destination) is queued once, and sent, retried or parked from there. It
// reports whether w was queued.
func (s *Store) EnqueueOnce(ctx context.Context, w Write, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO outbox (target, service, kr_key, payload, seq, state, attempts, next_attempt, enqueued_at)
		VALUES (?, ?, ?, ?, 1, 'pending', 0, 0, ?) ON CONFLICT (target) DO NOTHING`,
		w.Target.String(), w.Target.Service, w.KRKey, string(w.Payload), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", w.Target, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", w.Target, err)
	}
	return n == 1, nil
}

// RecordWriteProgress records how far the send of the payload with seq got
// (the parts confirmed delivered), so that the next attempt, after a failure
// or a restart, resumes after them. False when seq is stale or no longer
// pending.
func (s *Store) RecordWriteProgress(ctx context.Context, target outbox.Target, seq int64, p outbox.Progress) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE outbox SET parts_sent = ?, ref = ?
		WHERE target = ? AND seq = ? AND state = 'pending'`, p.Parts, p.Ref, target.String(), seq)
	if err != nil {
		return false, fmt.Errorf("record progress %s: %w", target, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// busy is true, in EnqueueWrite's upsert, for a row whose payload is being
// sent (claimed, lease running) or waits for its retry.
const busy = `(outbox.state = 'pending' AND outbox.attempts > 0 AND outbox.next_attempt > excluded.enqueued_at)`

// QueuedWrite is one outbox row as read back.
type QueuedWrite struct {
	Target      outbox.Target
	KRKey       string
	Payload     []byte
	Seq         int64 // bumped by every enqueue; marks apply only to the seq they read
	State       string
	Attempts    int
	NextAttempt time.Time
	LastError   string
	EnqueuedAt  time.Time
	SentAt      time.Time
	ParkedAt    time.Time
	ParkedFP    string
	// Progress is how far a send in parts got (weekly reports); see
	// RecordWriteProgress.
	Progress outbox.Progress
}

type outboxRow struct {
	Target      string `db:"target"`
	KRKey       string `db:"kr_key"`
	Payload     string `db:"payload"`
	Seq         int64  `db:"seq"`
	State       string `db:"state"`
	Attempts    int    `db:"attempts"`
	NextAttempt int64  `db:"next_attempt"`
	LastError   string `db:"last_error"`
	EnqueuedAt  int64  `db:"enqueued_at"`
	SentAt      int64  `db:"sent_at"`
	PartsSent   int    `db:"parts_sent"`
	Ref         string `db:"ref"`
	ParkedAt    int64  `db:"parked_at"`
	ParkedFP    string `db:"parked_fp"`
}

const outboxCols = `target, kr_key, payload, seq, state, attempts, next_attempt, last_error, enqueued_at, sent_at, parked_at, parked_fp, parts_sent, ref`

func (r outboxRow) write() (QueuedWrite, error) {
	t, err := outbox.ParseTarget(r.Target)
	if err != nil {
		return QueuedWrite{}, fmt.Errorf("outbox row: %w", err)
	}
	return QueuedWrite{
		Target: t, KRKey: r.KRKey, Payload: []byte(r.Payload), Seq: r.Seq, State: r.State,
		Attempts: r.Attempts, NextAttempt: outboxTime(r.NextAttempt), LastError: r.LastError,
		EnqueuedAt: outboxTime(r.EnqueuedAt), SentAt: outboxTime(r.SentAt), ParkedAt: outboxTime(r.ParkedAt), ParkedFP: r.ParkedFP,
		Progress: outbox.Progress{Parts: r.PartsSent, Ref: r.Ref},
	}, nil
}

func outboxTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func toWrites(rows []outboxRow) ([]QueuedWrite, error) {
	out := make([]QueuedWrite, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = r.write(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ClaimWrites takes up to limit pending writes due at now, oldest first, and
// leases them until now+lease (their next_attempt moves there and attempts
// grows by one) so another sender does not send them meanwhile. A sender
// that crashes loses nothing: its claimed writes are due again when the
// lease ends. Writes to the services in except are left alone (a sender
// without the report sink leaves the weekly reports to one that has it).
func (s *Store) ClaimWrites(ctx context.Context, now time.Time, lease time.Duration, limit int, except ...string) ([]QueuedWrite, error) {
	args := []any{now.Add(lease).UnixMilli(), now.UnixMilli()}
	skip := ""
	if len(except) > 0 {
		skip = ` AND service NOT IN (?` + strings.Repeat(",?", len(except)-1) + `)`
		for _, e := range except {
			args = append(args, e)
		}
	}
	var rows []outboxRow
	err := s.db.SelectContext(ctx, &rows, `UPDATE outbox SET next_attempt = ?, attempts = attempts + 1
		WHERE target IN (SELECT target FROM outbox WHERE state = 'pending' AND next_attempt <= ?`+skip+`
			ORDER BY next_attempt, enqueued_at, target LIMIT ?`+s.db.dialect.skipLocked()+`)
		RETURNING `+outboxCols, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("claim writes: %w", err)
	}
	out, err := toWrites(rows)
	sortWrites(out)
	return out, err
}

// DueWrites returns up to limit pending writes due at now without claiming
// them (for dry runs, which must leave the outbox unchanged).
func (s *Store) DueWrites(ctx context.Context, now time.Time, limit int) ([]QueuedWrite, error) {
	var rows []outboxRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+outboxCols+` FROM outbox
		WHERE state = 'pending' AND next_attempt <= ? ORDER BY next_attempt, enqueued_at, target LIMIT ?`,
		now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("due writes: %w", err)
	}
	return toWrites(rows)
}

func sortWrites(ws []QueuedWrite) {
	slices.SortFunc(ws, func(a, b QueuedWrite) int {
		if c := a.EnqueuedAt.Compare(b.EnqueuedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Target.String(), b.Target.String())
	})
}

// MarkWriteSent records that the payload with seq was sent. It reports false
// (and changes nothing) when the target was enqueued again meanwhile: the
// newer payload stays pending and is sent next (due now: the lease it kept
// from seq is released).
func (s *Store) MarkWriteSent(ctx context.Context, target outbox.Target, seq int64, now time.Time) (bool, error) {
	return s.mark(ctx, "mark write sent", target, seq, `UPDATE outbox SET state = 'sent', sent_at = ?, sent_payload = payload,
		attempts = 0, next_attempt = 0, last_error = '', parked_at = 0, parked_fp = ''
		WHERE target = ? AND seq = ?`, now.UnixMilli(), target.String(), seq)
}

// MarkWriteFailed records a retryable failure of the payload with seq: the
// write stays pending and is due again at next. False when seq is stale
// (the newer payload is then due now, as for MarkWriteSent).
func (s *Store) MarkWriteFailed(ctx context.Context, target outbox.Target, seq int64, next time.Time, reason string) (bool, error) {
	return s.mark(ctx, "mark write failed", target, seq, `UPDATE outbox SET next_attempt = ?, last_error = ?
		WHERE target = ? AND seq = ? AND state = 'pending'`, next.UnixMilli(), reason, target.String(), seq)
}

// ParkWrite sets aside the payload with seq after a permanent failure, with
// the reason and the fingerprint of the sink configuration it failed under.
// It stays parked until UnparkWrites or RetryParked, or until a new payload
// is enqueued for the target. False when seq is stale (the newer payload is
// then due now, as for MarkWriteSent).
func (s *Store) ParkWrite(ctx context.Context, target outbox.Target, seq int64, reason, fingerprint string, now time.Time) (bool, error) {
	return s.mark(ctx, "park write", target, seq, `UPDATE outbox SET state = 'parked', last_error = ?, parked_fp = ?, parked_at = ?,
		next_attempt = 0 WHERE target = ? AND seq = ? AND state = 'pending'`, reason, fingerprint, now.UnixMilli(), target.String(), seq)
}

// RenewWriteLease extends the lease of a claimed write to until, if the
// caller still holds it: same seq, still pending, and its next attempt still
// held (the lease end the claim returned). A write claimed in a batch may
// wait its turn; renewing before sending keeps the lease over the whole
// send. False when the lease was lost (another sender claimed the write
// after it ran out, or a newer payload replaced it, which is then due now).
func (s *Store) RenewWriteLease(ctx context.Context, target outbox.Target, seq int64, held, until time.Time) (bool, error) {
	return s.mark(ctx, "renew write lease", target, seq, `UPDATE outbox SET next_attempt = ?
		WHERE target = ? AND seq = ? AND state = 'pending' AND next_attempt = ?`, until.UnixMilli(), target.String(), seq, held.UnixMilli())
}

// mark runs q, an update of the write with seq, and reports whether it
// applied. When it did not because a newer payload replaced seq and nobody
// claimed that one yet, the lease the newer payload kept from seq (see
// EnqueueWrite) is released: seq's sender is done with it.
func (s *Store) mark(ctx context.Context, op string, target outbox.Target, seq int64, q string, args ...any) (bool, error) {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("%s %s: %w", op, target, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	if n == 1 {
		return true, nil
	}
	_, err = s.db.ExecContext(ctx, `UPDATE outbox SET next_attempt = 0
		WHERE target = ? AND seq > ? AND state = 'pending' AND attempts = 0`, target.String(), seq)
	if err != nil {
		return false, fmt.Errorf("%s: release lease: %w", op, err)
	}
	return false, nil
}

// UnparkWrites makes the parked writes of service pending again when they
// were parked under a configuration fingerprint other than fingerprint (the
// configuration changed, so the cause may be fixed). It returns how many.
func (s *Store) UnparkWrites(ctx context.Context, service, fingerprint string) (int, error) {
	return s.unpark(ctx, `service = ? AND parked_fp != ?`, service, fingerprint)
}

// RetryParked makes every parked write that sel selects (see
// outbox.Target.Selects) pending again, due now. It returns how many.
func (s *Store) RetryParked(ctx context.Context, sel outbox.Target) (int, error) {
	where, args := selects(sel)
	return s.unpark(ctx, where, args...)
}

// selects is the condition for the rows selector sel selects.
func selects(sel outbox.Target) (string, []any) {
	switch {
	case sel.IsZero():
		return `1 = 1`, nil
	case sel.Kind == "" && sel.ID == "":
		return `service = ?`, []any{sel.Service}
	}
	return `target = ?`, []any{sel.String()}
}

func (s *Store) unpark(ctx context.Context, where string, args ...any) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt = 0,
		parked_at = 0, parked_fp = '' WHERE state = 'parked' AND `+where, args...)
	if err != nil {
		return 0, fmt.Errorf("unpark writes: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ListWrites returns the writes in the given states (all states when none),
// oldest first.
func (s *Store) ListWrites(ctx context.Context, states ...string) ([]QueuedWrite, error) {
	q := `SELECT ` + outboxCols + ` FROM outbox`
	var args []any
	if len(states) > 0 {
		q += ` WHERE state IN (?` + strings.Repeat(",?", len(states)-1) + `)`
		for _, st := range states {
			args = append(args, st)
		}
	}
	var rows []outboxRow
	if err := s.db.SelectContext(ctx, &rows, q+` ORDER BY enqueued_at, target`, args...); err != nil {
		return nil, fmt.Errorf("list writes: %w", err)
	}
	return toWrites(rows)
}

// WriteCounts returns how many writes each service has in each state.
func (s *Store) WriteCounts(ctx context.Context) (map[string]map[string]int, error) {
	var rows []struct {
		Service string `db:"service"`
		State   string `db:"state"`
		N       int    `db:"n"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT service, state, COUNT(*) AS n
		FROM outbox GROUP BY service, state`)
	if err != nil {
		return nil, fmt.Errorf("count writes: %w", err)
	}
	out := map[string]map[string]int{}
	for _, r := range rows {
		if out[r.Service] == nil {
			out[r.Service] = map[string]int{}
		}
		out[r.Service][r.State] = r.N
	}
	return out, nil
}

// NextWriteDue returns when the earliest pending write is due (the zero time
// for "now"; ok false when nothing is pending).
func (s *Store) NextWriteDue(ctx context.Context) (at time.Time, ok bool, err error) {
	var next *int64
	if err := s.db.GetContext(ctx, &next, `SELECT MIN(next_attempt) FROM outbox WHERE state = 'pending'`); err != nil {
		return time.Time{}, false, fmt.Errorf("next write due: %w", err)
	}
	if next == nil {
		return time.Time{}, false, nil
	}
	return outboxTime(*next), true, nil
}
