package people

import (
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/rules/calendar"
)

func TestTenure(t *testing.T) {
	d, err := New([]Person{
		{Key: "ana", TimeZone: "Australia/Sydney", Start: "2026-11-04", End: "2026-12-31", Away: []string{"2026-W50"}},
		{Key: "ben"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	syd := d.Calendar("ana")
	tests := []struct {
		name   string
		person string
		week   string
		covers bool
		away   bool
	}{
		{"week of the start date", "ana", "2026-W45", false, false},
		{"first full week", "ana", "2026-W46", true, false},
		{"away week", "ana", "2026-W50", true, true},
		{"week of the end date (Thursday)", "ana", "2026-W53", false, false},
		{"no dates: always", "ben", "2020-W01", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := calendar.ParseWeek(tt.week)
			if got := d.Covers(tt.person, syd.Week(w)); got != tt.covers {
				t.Errorf("Covers = %v, want %v", got, tt.covers)
			}
			if got := d.Away(tt.person, w); got != tt.away {
				t.Errorf("Away = %v, want %v", got, tt.away)
			}
		})
	}
	// The start is midnight in the person's own zone.
	start := time.Date(2026, 11, 4, 0, 0, 0, 0, syd.Location())
	if d.Covers("ana", calendar.Span{Start: start.Add(-time.Minute), End: start.Add(time.Hour)}) {
		t.Error("a span starting a minute before Sydney's midnight covers")
	}
}

func TestTenureErrors(t *testing.T) {
	_, err := New([]Person{
		{Key: "ana", Start: "4 Nov", End: "2026-13-01"},
		{Key: "ben", Start: "2026-11-04", End: "2026-11-01", Away: []string{"W47"}},
	}, nil)
	for _, want := range []string{"people[0].start", "people[0].end", "people[1].end", "people[1].away", "2026-W47"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
