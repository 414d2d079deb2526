package calendar

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestCalendarWindowsGolden places calendar windows at moments chosen around
// boundaries, each in its time zone: a month boundary in UTC, Los Angeles and
// Sydney for last_month (the same instants fall in different local months), a
// quarter to date across a daylight-saving change (the span is not a whole
// number of 24-hour days), and last_week on a Monday morning in Kolkata (a
// moment that is still Sunday in UTC).
func TestCalendarWindowsGolden(t *testing.T) {
	period := Span{Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	cases := []struct {
		name, zone, window, at string
	}{
		{"month boundary UTC, just after", "UTC", "last_month", "2026-11-01T03:00:00Z"},
		{"month boundary UTC, just before", "UTC", "last_month", "2026-10-31T23:59:00Z"},
		{"month boundary UTC, read up to midnight (a closed period's end)", "UTC", "last_month", "2026-11-01T00:00:00Z"},
		{"month boundary Los Angeles, still October locally", "America/Los_Angeles", "last_month", "2026-11-01T03:00:00Z"},
		{"month boundary Los Angeles, just after local midnight", "America/Los_Angeles", "last_month", "2026-11-01T07:30:00Z"},
		{"month boundary Sydney, already November locally", "Australia/Sydney", "last_month", "2026-10-31T14:30:00Z"},
		{"month boundary Sydney, just before local midnight", "Australia/Sydney", "last_month", "2026-10-31T12:30:00Z"},
		{"quarter to date Los Angeles across the November DST end", "America/Los_Angeles", "quarter", "2026-11-20T18:00:00Z"},
		{"quarter to date Sydney across the October DST start", "Australia/Sydney", "quarter", "2026-10-10T00:00:00Z"},
		{"last quarter Sydney", "Australia/Sydney", "last_quarter", "2026-10-10T00:00:00Z"},
		{"last week Kolkata, Monday 08:30", "Asia/Kolkata", "last_week", "2026-11-23T03:00:00Z"},
		{"last week Kolkata, Monday 00:15 (Sunday in UTC)", "Asia/Kolkata", "last_week", "2026-11-22T18:45:00Z"},
		{"last week UTC at the same instant", "UTC", "last_week", "2026-11-22T18:45:00Z"},
		{"week to date Kolkata, Monday 08:30", "Asia/Kolkata", "week", "2026-11-23T03:00:00Z"},
		{"month to date Los Angeles", "America/Los_Angeles", "month", "2026-11-20T18:00:00Z"},
		{"trailing 28d Los Angeles", "America/Los_Angeles", "28d", "2026-11-20T18:00:00Z"},
		{"period so far", "UTC", "", "2026-11-20T18:00:00Z"},
	}
	var b strings.Builder
	for _, tc := range cases {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		w, err := ParseWindow(tc.window)
		if err != nil {
			t.Fatal(err)
		}
		at, err := time.Parse(time.RFC3339, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		c := New(loc, time.Monday)
		s := c.Span(w, period, at)
		const local = "Mon 2006-01-02 15:04 MST"
		fmt.Fprintf(&b, "%s\n  %q read up to %s (%s)\n  [%s, %s)\n  [%s, %s) %s, %.4g months\n",
			tc.name, w.String(), at.Format(time.RFC3339), at.In(loc).Format(local),
			s.Start.In(loc).Format(local), s.End.In(loc).Format(local),
			s.Start.UTC().Format(time.RFC3339), s.End.UTC().Format(time.RFC3339), s.End.Sub(s.Start), c.Units(UnitMonth, s))
	}
	golden(t, "windows.golden", b.String())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\n%s", name, got)
	}
}

func TestParseCalendarWindows(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Window
	}{
		{"week", Window{Kind: WindowToDate, Unit: UnitWeek}},
		{"Month", Window{Kind: WindowToDate, Unit: UnitMonth}},
		{"quarter", Window{Kind: WindowToDate, Unit: UnitQuarter}},
		{"last_week", Window{Kind: WindowPrevious, Unit: UnitWeek}},
		{"last_month", Window{Kind: WindowPrevious, Unit: UnitMonth}},
		{"last_quarter", Window{Kind: WindowPrevious, Unit: UnitQuarter}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseWindow(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("ParseWindow(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			if !got.IsCalendar() || got.String() != strings.ToLower(tc.in) {
				t.Errorf("IsCalendar %v, String %q", got.IsCalendar(), got.String())
			}
		})
	}
	for _, bad := range []string{"last_year", "last_", "fortnight", "last_28d"} {
		if _, err := ParseWindow(bad); err == nil {
			t.Errorf("ParseWindow(%q) succeeded", bad)
		}
	}
}

func TestUnits(t *testing.T) {
	c := UTC
	d := func(s string) time.Time {
		if v, err := time.Parse(time.DateOnly, s); err == nil {
			return v
		}
		v, _ := time.Parse(time.RFC3339, s)
		return v
	}
	for _, tc := range []struct {
		name     string
		unit     Unit
		from, to string
		want     float64
	}{
		{"February", UnitMonth, "2026-02-01", "2026-03-01", 1},
		{"a quarter in months", UnitMonth, "2026-10-01", "2027-01-01", 3},
		{"a quarter", UnitQuarter, "2026-10-01", "2027-01-01", 1},
		{"half of November", UnitMonth, "2026-11-01", "2026-11-16", 0.5},
		{"empty", UnitMonth, "2026-11-01", "2026-11-01", 0},
		{"two weeks", UnitWeek, "2026-11-16", "2026-11-30", 2},
		{"half a week", UnitWeek, "2026-11-16", "2026-11-19T12:00:00Z", 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Units(tc.unit, Span{Start: d(tc.from), End: d(tc.to)}); got != tc.want {
				t.Errorf("Months = %v, want %v", got, tc.want)
			}
		})
	}
}
