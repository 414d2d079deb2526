package store

import (
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// TestOutageStart: the first failed poll after a success begins an outage,
// later failures keep its start, a success ends it.
func TestOutageStart(t *testing.T) {
	st, err := Open(t.Context(), filepath.Join(t.TempDir(), "goalpost.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	fail := errors.New("status 503")
	tests := []struct {
		name  string
		at    time.Duration
		err   error
		since time.Duration // -1: no outage
	}{
		{"healthy", 0, nil, -1},
		{"first failure begins the outage", time.Hour, fail, time.Hour},
		{"a later failure keeps its start", 3 * time.Hour, fail, time.Hour},
		{"a success ends it", 4 * time.Hour, nil, -1},
		{"a new failure begins a new one", 5 * time.Hour, fail, 5 * time.Hour},
	}
	for _, tt := range tests {
		if err := st.RecordPoll(t.Context(), "jira", t0.Add(tt.at), tt.err); err != nil {
			t.Fatal(err)
		}
		down, err := st.KRView().Outages(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		since, ok := down["jira"]
		if ok != (tt.since >= 0) || (ok && !since.Equal(t0.Add(tt.since))) {
			t.Errorf("%s: outage %v since %v, want since +%v", tt.name, ok, since, tt.since)
		}
	}
}
