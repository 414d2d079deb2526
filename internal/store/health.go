package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// SourceHealth is what goalpost last saw of one source's polls.
type SourceHealth struct {
	Source      string
	LastOK      time.Time // zero when no poll has succeeded
	LastErrorAt time.Time // zero when no poll has failed
	LastError   string    // the last failure's error, one line
	Failing     bool      // the last poll failed
	// FailingSince is when the current outage began: the first failed poll
	// after a success (zero while the source is healthy).
	FailingSince time.Time
}

// maxErrorText bounds a stored poll error.
const maxErrorText = 500

// RecordPoll records one poll of source that ended at at: a success, or a
// failure with its error (which, as every connector error, holds no secret).
// The first failure after a success opens an outage at at; a success closes
// it.
func (s *Store) RecordPoll(ctx context.Context, source string, at time.Time, pollErr error) error {
	return recordPoll(ctx, s.db, source, at, pollErr)
}

// RecordPoll is Store.RecordPoll in the transaction (the engine records an
// outage's start with the results it freezes).
func (t *Tx) RecordPoll(ctx context.Context, source string, at time.Time, pollErr error) error {
	return recordPoll(ctx, t.tx, source, at, pollErr)
}

func recordPoll(ctx context.Context, db sqlx.ExecerContext, source string, at time.Time, pollErr error) error {
	q := `INSERT INTO source_health (source, last_ok_at, failing, failing_since) VALUES (?, ?, 0, 0)
		ON CONFLICT (source) DO UPDATE SET last_ok_at = excluded.last_ok_at, failing = 0, failing_since = 0`
	args := []any{source, at.UnixMilli()}
	if pollErr != nil {
		msg := strings.Join(strings.Fields(pollErr.Error()), " ")
		if r := []rune(msg); len(r) > maxErrorText {
			msg = string(r[:maxErrorText-1]) + "…"
		}
		q = `INSERT INTO source_health (source, last_error_at, last_error, failing, failing_since) VALUES (?, ?, ?, 1, ?)
		ON CONFLICT (source) DO UPDATE SET last_error_at = excluded.last_error_at, last_error = excluded.last_error,
			failing = 1, failing_since = CASE WHEN source_health.failing_since > 0 THEN source_health.failing_since
				ELSE excluded.failing_since END`
		args = append(args, msg, at.UnixMilli())
	}
	if _, err := db.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("record poll %s: %w", source, err)
	}
	return nil
}

// Outages are the sources whose last poll failed, with when their outage
// began, as recorded by RecordPoll.
func (v KRView) Outages(ctx context.Context) (map[string]time.Time, error) {
	var rows []struct {
		Source string `db:"source"`
		Since  int64  `db:"failing_since"`
	}
	if err := v.q.SelectContext(ctx, &rows, `SELECT source, failing_since FROM source_health WHERE failing = 1`); err != nil {
		return nil, fmt.Errorf("outages: %w", err)
	}
	out := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		out[r.Source] = fromMillis(r.Since)
	}
	return out, nil
}

// SourceHealth returns every source's recorded health, by source name.
func (s *Store) SourceHealth(ctx context.Context) ([]SourceHealth, error) {
	var rows []struct {
		Source      string `db:"source"`
		LastOK      int64  `db:"last_ok_at"`
		LastErrorAt int64  `db:"last_error_at"`
		LastError   string `db:"last_error"`
		Failing     bool   `db:"failing"`
		Since       int64  `db:"failing_since"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT source, last_ok_at, last_error_at, last_error, failing, failing_since
		FROM source_health ORDER BY source`); err != nil {
		return nil, fmt.Errorf("source health: %w", err)
	}
	out := make([]SourceHealth, len(rows))
	for i, r := range rows {
		out[i] = SourceHealth{Source: r.Source, LastOK: fromMillis(r.LastOK), LastErrorAt: fromMillis(r.LastErrorAt),
			LastError: r.LastError, Failing: r.Failing, FailingSince: fromMillis(r.Since)}
	}
	return out, nil
}

// MarkEvaluated records that every key result was evaluated at at, in the
// transaction that saved the results.
func (t *Tx) MarkEvaluated(ctx context.Context, at time.Time) error {
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO marks (name, at) VALUES ('evaluated', ?)
		ON CONFLICT (name) DO UPDATE SET at = CASE WHEN excluded.at > marks.at THEN excluded.at ELSE marks.at END`, at.UnixMilli()); err != nil {
		return fmt.Errorf("mark evaluated: %w", err)
	}
	return nil
}

// LastEvaluated is when key results were last all evaluated (zero when never).
func (s *Store) LastEvaluated(ctx context.Context) (time.Time, error) {
	var at int64
	err := s.db.GetContext(ctx, &at, `SELECT at FROM marks WHERE name = 'evaluated'`)
	if err = notFound(err); err == ErrNotFound {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("last evaluated: %w", err)
	}
	return fromMillis(at), nil
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
