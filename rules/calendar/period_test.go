package calendar

import (
	"testing"
	"time"
)

func TestPeriod(t *testing.T) {
	berlin := New(mustLoc(t, "Europe/Berlin"), time.Monday)
	tests := []struct {
		name, in   string
		start, end string
	}{
		{"quarter", "2026-Q4", "2026-10-01T00:00:00+02:00", "2027-01-01T00:00:00+01:00"},
		{"lower-case quarter", "2026-q1", "2026-01-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00"},
		{"half", "2026-H2", "2026-07-01T00:00:00+02:00", "2027-01-01T00:00:00+01:00"},
		{"year", "2027", "2027-01-01T00:00:00+01:00", "2028-01-01T00:00:00+01:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := berlin.Period(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if s.Start.Format(time.RFC3339) != tt.start || s.End.Format(time.RFC3339) != tt.end {
				t.Errorf("%s = %s → %s, want %s → %s", tt.in, s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339), tt.start, tt.end)
			}
		})
	}
	for _, bad := range []string{"2026-Q0", "2026-Q5", "2026-H3", "26-Q1", "Q4", "2026-X1", "2026-", ""} {
		if _, err := UTC.Period(bad); err == nil {
			t.Errorf("Period(%q) succeeded", bad)
		}
	}
}

func TestDates(t *testing.T) {
	tests := []struct {
		name, start, end string
		days             float64
		bad              bool
	}{
		{name: "end is inclusive", start: "2026-10-01", end: "2026-10-30", days: 30},
		{name: "one day", start: "2026-10-01", end: "2026-10-01", days: 1},
		{name: "end before start", start: "2026-10-02", end: "2026-10-01", bad: true},
		{name: "bad start", start: "Oct 1", end: "2026-10-01", bad: true},
		{name: "bad end", start: "2026-10-01", end: "soon", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := UTC.Dates(tt.start, tt.end)
			if tt.bad {
				if err == nil {
					t.Fatalf("Dates = %v, want an error", s)
				}
				return
			}
			if err != nil || s.End.Sub(s.Start).Hours()/24 != tt.days {
				t.Errorf("Dates = %v → %v, %v; want %v days", s.Start, s.End, err, tt.days)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	period := Span{Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	to := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in        string
		wantStart time.Time
	}{
		{"", period.Start},
		{"28d", to.Add(-28 * 24 * time.Hour)},
		{"4w", to.Add(-28 * 24 * time.Hour)},
		{"12h", to.Add(-12 * time.Hour)},
		{"90m", to.Add(-90 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run("window "+tt.in, func(t *testing.T) {
			w, err := ParseWindow(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := UTC.Span(w, period, to); !got.Start.Equal(tt.wantStart) || !got.End.Equal(to) {
				t.Errorf("Span = %v → %v, want %v → %v", got.Start, got.End, tt.wantStart, to)
			}
		})
	}
	for _, bad := range []string{"d", "-3d", "soon", "0w"} {
		if _, err := ParseWindow(bad); err == nil {
			t.Errorf("ParseWindow(%q) succeeded", bad)
		}
	}
}
