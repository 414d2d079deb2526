package store

import (
	"context"
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

// QuarterSnapshot returns the frozen quarter report (its JSON) for team and
// quarter, or ErrNotFound.
func (s *Store) QuarterSnapshot(ctx context.Context, team, quarter string) ([]byte, error) {
	var body string
	err := s.db.GetContext(ctx, &body, `SELECT body FROM quarter_snapshots WHERE team = ? AND quarter = ?`, team, quarter)
	if err != nil {
		return nil, fmt.Errorf("quarter snapshot %s/%s: %w", team, quarter, notFound(err))
	}
	return []byte(body), nil
}

// FreezeQuarter stores body as the frozen report for team and quarter
// unless one is stored already, and returns the stored body (the first one
// wins, as FreezeReport).
func (s *Store) FreezeQuarter(ctx context.Context, team, quarter string, body []byte, now time.Time) ([]byte, error) {
	_, err := s.db.ExecContext(ctx, `INSERT INTO quarter_snapshots (team, quarter, body, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (team, quarter) DO NOTHING`, team, quarter, string(body), now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("freeze quarter %s/%s: %w", team, quarter, err)
	}
	return s.QuarterSnapshot(ctx, team, quarter)
}
