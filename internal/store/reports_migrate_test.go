package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/goalpost/goalpost/writeback/outbox"
)

// Migration 00140 moves the report deliveries recorded before one delivery
// mechanism (ADR 0009) into the outbox with their history: pending stays
// pending with its progress and retry time, sent stays sent, failed is
// parked with its reason. Its down migration moves them back.
func TestReportDeliveriesMigrateToOutbox(t *testing.T) {
	s := openReportsStore(t, filepath.Join(t.TempDir(), "g.db"))
	defer s.Close()
	ctx := t.Context()
	p, err := goose.NewProvider(s.db.dialect.goose, s.db.DB.DB, mustSub(migrations, s.db.dialect.migrations), goose.WithAllowOutofOrder(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.ApplyVersion(ctx, 140, false); err != nil {
		t.Fatalf("down: %v", err)
	}
	retry := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	_, err = s.db.ExecContext(ctx, `INSERT INTO report_deliveries
		(team, week, destination, state, parts_sent, ref, attempts, next_attempt, last_error, started_at, updated_at, sent_at) VALUES
		('platform', '2026-W47', 'slack', 'pending', 2, '', 3, ?, 'status 500', 1, 2, 0),
		('platform', '2026-W47', 'wiki', 'sent', 1, 'page-1', 1, 0, '', 1, 5, 5),
		('', '2026-W46', 'wiki', 'failed', 0, '', 1, 0, 'status 404: page not shared', 1, 7, 0)`, retry.UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.ApplyVersion(ctx, 140, true); err != nil {
		t.Fatal(err)
	}
	ws, err := s.ListWrites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[outbox.Target]QueuedWrite{}
	for _, w := range ws {
		r, err := outbox.DecodeReport(w.Payload)
		if err != nil || r.Target() != w.Target {
			t.Errorf("%s: payload %s (%v) does not name its target", w.Target, w.Payload, err)
		}
		got[w.Target] = w
	}
	for _, tc := range []struct {
		name  string
		r     outbox.Report
		check func(QueuedWrite) bool
	}{
		{name: "pending keeps progress and retry", r: outbox.Report{Team: "platform", Week: "2026-W47", Destination: "slack"},
			check: func(w QueuedWrite) bool {
				return w.State == WritePending && w.Progress.Parts == 2 && w.Attempts == 3 && w.NextAttempt.Equal(retry) && w.LastError == "status 500"
			}},
		{name: "sent stays sent", r: outbox.Report{Team: "platform", Week: "2026-W47", Destination: "wiki"},
			check: func(w QueuedWrite) bool {
				return w.State == WriteSent && w.Progress.Ref == "page-1" && !w.SentAt.IsZero()
			}},
		{name: "failed is parked with its reason", r: outbox.Report{Team: "", Week: "2026-W46", Destination: "wiki"},
			check: func(w QueuedWrite) bool {
				return w.State == WriteParked && w.LastError == "status 404: page not shared" && !w.ParkedAt.IsZero()
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if w, ok := got[tc.r.Target()]; !ok || !tc.check(w) {
				t.Errorf("row %+v (found %v)", w, ok)
			}
		})
	}
	// Queued once: the migrated rows block a second queueing.
	if ok, err := s.EnqueueOnce(ctx, Write{Target: outbox.Report{Team: "platform", Week: "2026-W47", Destination: "wiki"}.Target()}, retry); ok || err != nil {
		t.Errorf("enqueue once over a migrated row: %v %v", ok, err)
	}
	if _, err := p.ApplyVersion(ctx, 140, false); err != nil {
		t.Fatalf("down again: %v", err)
	}
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM report_deliveries`); err != nil || n != 3 {
		t.Errorf("down migration kept %d deliveries (%v), want 3", n, err)
	}
}

// A send in parts records its progress on the pending row it holds; the
// next claim hands the progress back.
func TestWriteProgress(t *testing.T) {
	s := openReportsStore(t, filepath.Join(t.TempDir(), "g.db"))
	defer s.Close()
	ctx, now := t.Context(), time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	target := outbox.Report{Team: "platform", Week: "2026-W47", Destination: "slack"}.Target()
	if ok, err := s.EnqueueOnce(ctx, Write{Target: target, Payload: []byte(`{}`)}, now); !ok || err != nil {
		t.Fatalf("enqueue once: %v %v", ok, err)
	}
	ws, err := s.ClaimWrites(ctx, now, time.Minute, 10)
	if err != nil || len(ws) != 1 {
		t.Fatalf("claim: %v %v", ws, err)
	}
	if ok, err := s.RecordWriteProgress(ctx, target, ws[0].Seq, outbox.Progress{Parts: 2, Ref: "ts"}); !ok || err != nil {
		t.Fatalf("progress: %v %v", ok, err)
	}
	if ok, _ := s.RecordWriteProgress(ctx, target, ws[0].Seq+1, outbox.Progress{Parts: 3}); ok {
		t.Error("progress recorded for a stale seq")
	}
	if _, err := s.MarkWriteFailed(ctx, target, ws[0].Seq, now, "cut"); err != nil {
		t.Fatal(err)
	}
	if ws, _ := s.ClaimWrites(ctx, now, time.Minute, 10, outbox.ServiceReport); len(ws) != 0 {
		t.Errorf("claimed a report row while excepting reports: %+v", ws)
	}
	ws, _ = s.ClaimWrites(ctx, now, time.Minute, 10)
	if len(ws) != 1 || ws[0].Progress != (outbox.Progress{Parts: 2, Ref: "ts"}) {
		t.Errorf("claim after progress: %+v", ws)
	}
}
