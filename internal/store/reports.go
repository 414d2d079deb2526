package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ReportSnapshot returns the frozen weekly report (its JSON) for team and
// week, or ErrNotFound.
func (s *Store) ReportSnapshot(ctx context.Context, team, week string) ([]byte, error) {
	var body string
	err := s.db.GetContext(ctx, &body, `SELECT body FROM report_snapshots WHERE team = ? AND week = ?`, team, week)
	if err != nil {
		return nil, fmt.Errorf("report snapshot %s/%s: %w", team, week, notFound(err))
	}
	return []byte(body), nil
}

// FreezeReport stores body as the frozen report for team and week unless one
// is stored already, and returns the stored body: the first one wins, so two
// processes freezing the same week end up with the same report.
func (s *Store) FreezeReport(ctx context.Context, team, week string, body []byte, now time.Time) ([]byte, error) {
	_, err := s.db.ExecContext(ctx, `INSERT INTO report_snapshots (team, week, body, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (team, week) DO NOTHING`, team, week, string(body), now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("freeze report %s/%s: %w", team, week, err)
	}
	return s.ReportSnapshot(ctx, team, week)
}

// Report delivery states.
const (
	DeliveryPending = "pending" // started, not finished: resume it
	DeliverySent    = "sent"
	DeliveryFailed  = "failed" // gave up on a permanent error
)

// DeliveryKey names one delivery: a team's report for a week to a destination.
type DeliveryKey struct {
	Team        string `db:"team"`
	Week        string `db:"week"`
	Destination string `db:"destination"`
}

// ReportDelivery is the record of one delivery.
type ReportDelivery struct {
	DeliveryKey
	State       string
	PartsSent   int    // parts confirmed delivered
	Ref         string // the destination's reference, e.g. a Notion page id
	Attempts    int
	NextAttempt time.Time
	LastError   string
	StartedAt   time.Time
	SentAt      time.Time
}

type deliveryRow struct {
	DeliveryKey
	State       string `db:"state"`
	PartsSent   int    `db:"parts_sent"`
	Ref         string `db:"ref"`
	Attempts    int    `db:"attempts"`
	NextAttempt int64  `db:"next_attempt"`
	LastError   string `db:"last_error"`
	StartedAt   int64  `db:"started_at"`
	SentAt      int64  `db:"sent_at"`
}

func (r deliveryRow) delivery() ReportDelivery {
	d := ReportDelivery{
		DeliveryKey: r.DeliveryKey, State: r.State, PartsSent: r.PartsSent, Ref: r.Ref,
		Attempts: r.Attempts, LastError: r.LastError, StartedAt: time.UnixMilli(r.StartedAt).UTC(),
	}
	if r.NextAttempt > 0 {
		d.NextAttempt = time.UnixMilli(r.NextAttempt).UTC()
	}
	if r.SentAt > 0 {
		d.SentAt = time.UnixMilli(r.SentAt).UTC()
	}
	return d
}

const deliveryCols = `team, week, destination, state, parts_sent, ref, attempts, next_attempt, last_error, started_at, sent_at`

// ReportDelivery returns the record for k, or ErrNotFound.
func (s *Store) ReportDelivery(ctx context.Context, k DeliveryKey) (ReportDelivery, error) {
	var row deliveryRow
	err := s.db.GetContext(ctx, &row, `SELECT `+deliveryCols+` FROM report_deliveries
		WHERE team = ? AND week = ? AND destination = ?`, k.Team, k.Week, k.Destination)
	if err != nil {
		return ReportDelivery{}, fmt.Errorf("report delivery %s/%s/%s: %w", k.Team, k.Week, k.Destination, notFound(err))
	}
	return row.delivery(), nil
}

// StartReportDelivery records, before anything is sent, that k is being
// delivered (state pending), unless a record exists; it returns the record
// as stored. Calling it again is harmless.
func (s *Store) StartReportDelivery(ctx context.Context, k DeliveryKey, now time.Time) (ReportDelivery, error) {
	_, err := s.db.ExecContext(ctx, `INSERT INTO report_deliveries (team, week, destination, state, started_at, updated_at)
		VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT (team, week, destination) DO NOTHING`,
		k.Team, k.Week, k.Destination, now.UnixMilli(), now.UnixMilli())
	if err != nil {
		return ReportDelivery{}, fmt.Errorf("start report delivery: %w", err)
	}
	return s.ReportDelivery(ctx, k)
}

// ReportDeliveryProgress records that the first parts parts of a pending
// delivery are confirmed delivered, and the destination's reference.
func (s *Store) ReportDeliveryProgress(ctx context.Context, k DeliveryKey, parts int, ref string, now time.Time) error {
	return s.updateDelivery(ctx, k, `parts_sent = ?, ref = ?, updated_at = ?`, parts, ref, now.UnixMilli())
}

// FinishReportDelivery marks a pending delivery sent.
func (s *Store) FinishReportDelivery(ctx context.Context, k DeliveryKey, now time.Time) error {
	return s.updateDelivery(ctx, k, `state = 'sent', last_error = '', sent_at = ?, updated_at = ?`, now.UnixMilli(), now.UnixMilli())
}

// FailReportDelivery records a failed attempt of a pending delivery: it is
// retried at next, or, when permanent, marked failed and not retried.
func (s *Store) FailReportDelivery(ctx context.Context, k DeliveryKey, msg string, next time.Time, permanent bool, now time.Time) error {
	state := DeliveryPending
	if permanent {
		state = DeliveryFailed
	}
	return s.updateDelivery(ctx, k, `state = ?, attempts = attempts + 1, last_error = ?, next_attempt = ?, updated_at = ?`,
		state, msg, next.UnixMilli(), now.UnixMilli())
}

func (s *Store) updateDelivery(ctx context.Context, k DeliveryKey, set string, args ...any) error {
	args = append(args, k.Team, k.Week, k.Destination)
	res, err := s.db.ExecContext(ctx, `UPDATE report_deliveries SET `+set+`
		WHERE team = ? AND week = ? AND destination = ? AND state = 'pending'`, args...)
	if err != nil {
		return fmt.Errorf("update report delivery %s/%s/%s: %w", k.Team, k.Week, k.Destination, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("update report delivery %s/%s/%s: %w", k.Team, k.Week, k.Destination, ErrNotPending)
	}
	return nil
}

// ErrNotPending is returned when updating a delivery that is missing or
// already finished.
var ErrNotPending = errors.New("no pending delivery")

// PendingReportDeliveries returns every delivery started but not finished,
// oldest first.
func (s *Store) PendingReportDeliveries(ctx context.Context) ([]ReportDelivery, error) {
	var rows []deliveryRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+deliveryCols+` FROM report_deliveries
		WHERE state = 'pending' ORDER BY started_at, team, week, destination`)
	if err != nil {
		return nil, fmt.Errorf("pending report deliveries: %w", err)
	}
	out := make([]ReportDelivery, len(rows))
	for i, r := range rows {
		out[i] = r.delivery()
	}
	return out, nil
}
