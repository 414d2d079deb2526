package store

import (
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

func openReportsStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReportSnapshotsFirstWins(t *testing.T) {
	s := openReportsStore(t, filepath.Join(t.TempDir(), "g.db"))
	defer s.Close()
	ctx, now := t.Context(), time.Now()
	if _, err := s.ReportSnapshot(ctx, "platform", "2026-W47"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	got, err := s.FreezeReport(ctx, "platform", "2026-W47", []byte(`{"a":1}`), now)
	if err != nil || string(got) != `{"a":1}` {
		t.Fatalf("freeze: %s %v", got, err)
	}
	got, err = s.FreezeReport(ctx, "platform", "2026-W47", []byte(`{"a":2}`), now)
	if err != nil || string(got) != `{"a":1}` {
		t.Fatalf("second freeze: %s %v, want the first body", got, err)
	}
	if got, _ := s.FreezeReport(ctx, "growth", "2026-W47", []byte(`{"b":1}`), now); string(got) != `{"b":1}` {
		t.Errorf("teams share snapshots")
	}
}

// Delivery records survive a reopen of the file and move only forward.
func TestReportDeliveryLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	s := openReportsStore(t, path)
	ctx := t.Context()
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	k := DeliveryKey{Team: "platform", Week: "2026-W47", Destination: "slack"}
	d, err := s.StartReportDelivery(ctx, k, now)
	if err != nil || d.State != DeliveryPending || d.PartsSent != 0 || !d.StartedAt.Equal(now) {
		t.Fatalf("start: %+v %v", d, err)
	}
	if err := s.ReportDeliveryProgress(ctx, k, 2, "ref", now); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.StartReportDelivery(ctx, k, now.Add(time.Hour)); d.PartsSent != 2 || !d.StartedAt.Equal(now) {
		t.Errorf("restart overwrote the record: %+v", d)
	}
	retry := now.Add(time.Minute)
	if err := s.FailReportDelivery(ctx, k, "status 500", retry, false, now); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()

	s = openReportsStore(t, path)
	defer s.Close()
	pending, err := s.PendingReportDeliveries(ctx)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending = %v %v", pending, err)
	}
	p := pending[0]
	if p.DeliveryKey != k || p.PartsSent != 2 || p.Ref != "ref" || p.Attempts != 1 || p.LastError != "status 500" || !p.NextAttempt.Equal(retry) {
		t.Errorf("after reopen: %+v", p)
	}
	if err := s.FinishReportDelivery(ctx, k, now); err != nil {
		t.Fatal(err)
	}
	if err := s.ReportDeliveryProgress(ctx, k, 3, "", now); !errors.Is(err, ErrNotPending) {
		t.Errorf("progress after sent: %v, want ErrNotPending", err)
	}
	if pending, _ := s.PendingReportDeliveries(ctx); len(pending) != 0 {
		t.Errorf("sent delivery still pending")
	}
	d, _ = s.ReportDelivery(ctx, k)
	if d.State != DeliverySent || d.SentAt.IsZero() || d.LastError != "" {
		t.Errorf("sent record = %+v", d)
	}
	if _, err := s.ReportDelivery(ctx, DeliveryKey{Team: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing record: %v", err)
	}
	k2 := DeliveryKey{Team: "platform", Week: "2026-W47", Destination: "wiki"}
	_, _ = s.StartReportDelivery(ctx, k2, now)
	if err := s.FailReportDelivery(ctx, k2, "status 404", retry, true, now); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.ReportDelivery(ctx, k2); d.State != DeliveryFailed {
		t.Errorf("permanent failure state = %s", d.State)
	}
}
