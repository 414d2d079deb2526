package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestNotes: the latest note of a week is the week's note as known at a
// moment; an empty note clears it; other weeks are apart.
func TestNotes(t *testing.T) {
	st := openTest(t, filepath.Join(t.TempDir(), "goalpost.db"))
	t0 := time.Date(2026, 11, 18, 9, 0, 0, 0, time.UTC)
	set := []Note{
		{KRKey: "ship-80", Week: "2026-W47", Body: "plan: batch deploys", Source: NoteFromCLI, SetBy: "ana", SetAt: t0},
		{KRKey: "ship-80", Week: "2026-W47", Body: "help: a reviewer", Source: NoteFromNotion, SetAt: t0.Add(time.Hour)},
		{KRKey: "perf-20", Week: "2026-W47", Body: "on it", Source: NoteFromCLI, SetAt: t0},
		{KRKey: "perf-20", Week: "2026-W47", Body: "", Source: NoteFromCLI, SetAt: t0.Add(2 * time.Hour)},
		{KRKey: "ship-80", Week: "2026-W48", Body: "next week", Source: NoteFromCLI, SetAt: t0.Add(7 * 24 * time.Hour)},
	}
	for _, n := range append(set, set[0]) { // the same note twice is one
		if err := st.SetNote(t.Context(), n); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		week string
		asOf time.Time
		want map[string]string
	}{
		{"before any note", "2026-W47", t0.Add(-time.Minute), map[string]string{}},
		{"the first notes", "2026-W47", t0, map[string]string{"ship-80": "plan: batch deploys", "perf-20": "on it"}},
		{"the latest wins, an empty one clears", "2026-W47", t0.Add(3 * time.Hour), map[string]string{"ship-80": "help: a reviewer"}},
		{"another week", "2026-W48", t0.Add(30 * 24 * time.Hour), map[string]string{"ship-80": "next week"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.Notes(t.Context(), tc.week, tc.asOf)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("notes = %v, want %v", got, tc.want)
			}
			for k, body := range tc.want {
				if got[k].Body != body {
					t.Errorf("%s = %q, want %q", k, got[k].Body, body)
				}
			}
		})
	}
	if n, err := st.LatestNote(t.Context(), "ship-80", ""); err != nil || n.Body != "next week" {
		t.Errorf("latest = %+v, %v", n, err)
	}
	if n, err := st.LatestNote(t.Context(), "ship-80", NoteFromNotion); err != nil || n.Body != "help: a reviewer" {
		t.Errorf("latest from notion = %+v, %v", n, err)
	}
	if _, err := st.LatestNote(t.Context(), "perf-20", NoteFromNotion); !errors.Is(err, ErrNotFound) {
		t.Errorf("latest from notion of a key result without one: %v, want ErrNotFound", err)
	}
}
