package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func openReportsStore(t *testing.T, path string) *Store {
	t.Helper()
	return openTest(t, path)
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
