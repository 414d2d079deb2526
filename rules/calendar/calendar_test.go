package calendar

import (
	"testing"
	"time"
)

func TestParseWeek(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		bad            bool
	}{
		{name: "canonical", in: "2026-W47", want: "2026-W47"},
		{name: "lower case and one digit", in: "2026-w7", want: "2026-W07"},
		{name: "53-week year", in: "2026-W53", want: "2026-W53"},
		{name: "52-week year has no W53", in: "2027-W53", bad: true},
		{name: "week zero", in: "2026-W00", bad: true},
		{name: "garbage", in: "last week", bad: true},
		{name: "date", in: "2026-11-16", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := ParseWeek(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("ParseWeek(%q) = %v, want an error", tc.in, w)
				}
				return
			}
			if err != nil || w.String() != tc.want {
				t.Fatalf("ParseWeek(%q) = %v, %v; want %s", tc.in, w, err, tc.want)
			}
		})
	}
}

func TestWeekAdd(t *testing.T) {
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-W47", 1, "2026-W48"},
		{"2026-W53", 1, "2027-W01"},
		{"2027-W01", -1, "2026-W53"},
		{"2026-W01", -1, "2025-W52"},
		{"2026-W47", -52, "2025-W47"},
		{"2027-W02", -53, "2026-W02"},
	} {
		w, _ := ParseWeek(tc.from)
		if got := w.Add(tc.n).String(); got != tc.want {
			t.Errorf("%s + %d = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
}

func TestCalendarBounds(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	for _, tc := range []struct {
		name        string
		cal         Calendar
		week        string
		start, end  string // RFC 3339
		lengthHours float64
	}{
		{name: "plain week", cal: New(berlin, time.Monday), week: "2026-W47",
			start: "2026-11-16T00:00:00+01:00", end: "2026-11-23T00:00:00+01:00", lengthHours: 168},
		{name: "spring forward", cal: New(berlin, time.Monday), week: "2026-W13",
			start: "2026-03-23T00:00:00+01:00", end: "2026-03-30T00:00:00+02:00", lengthHours: 167},
		{name: "fall back", cal: New(berlin, time.Monday), week: "2026-W43",
			start: "2026-10-19T00:00:00+02:00", end: "2026-10-26T00:00:00+01:00", lengthHours: 169},
		{name: "sunday start is the day before the ISO monday", cal: New(time.UTC, time.Sunday), week: "2026-W47",
			start: "2026-11-15T00:00:00Z", end: "2026-11-22T00:00:00Z", lengthHours: 168},
		{name: "thursday start is after the ISO monday", cal: New(time.UTC, time.Thursday), week: "2026-W47",
			start: "2026-11-19T00:00:00Z", end: "2026-11-26T00:00:00Z", lengthHours: 168},
		{name: "friday start is before the ISO monday", cal: New(time.UTC, time.Friday), week: "2026-W47",
			start: "2026-11-13T00:00:00Z", end: "2026-11-20T00:00:00Z", lengthHours: 168},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := ParseWeek(tc.week)
			span := tc.cal.Week(w)
			start, end := span.Start, span.End
			if got := start.Format(time.RFC3339); got != tc.start {
				t.Errorf("start = %s, want %s", got, tc.start)
			}
			if got := end.Format(time.RFC3339); got != tc.end {
				t.Errorf("end = %s, want %s", got, tc.end)
			}
			if h := end.Sub(start).Hours(); h != tc.lengthHours {
				t.Errorf("length = %vh, want %vh", h, tc.lengthHours)
			}
			// Every instant of the week maps back to it.
			for _, at := range []time.Time{start, start.Add(end.Sub(start) / 2), end.Add(-time.Nanosecond)} {
				if got := tc.cal.WeekOf(at); got != w {
					t.Errorf("WeekOf(%s) = %s, want %s", at, got, w)
				}
			}
			if got := tc.cal.WeekOf(end); got != w.Add(1) {
				t.Errorf("WeekOf(end) = %s, want %s", got, w.Add(1))
			}
		})
	}
}

func TestCalendarWeekOfTimeZones(t *testing.T) {
	// Sunday 23:30 UTC is already Monday in Sydney: the next week there.
	at := time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC)
	utc := UTC
	syd := New(mustLoc(t, "Australia/Sydney"), time.Monday)
	if got := utc.WeekOf(at).String(); got != "2026-W47" {
		t.Errorf("UTC: %s", got)
	}
	if got := syd.WeekOf(at).String(); got != "2026-W48" {
		t.Errorf("Sydney: %s", got)
	}
}

func TestCalendarAtAcrossDST(t *testing.T) {
	berlin := New(mustLoc(t, "Europe/Berlin"), time.Monday)
	for _, tc := range []struct{ week, want string }{
		{"2026-W43", "2026-10-19T07:00:00Z"}, // CEST
		{"2026-W44", "2026-10-26T08:00:00Z"}, // CET, the day after the change
	} {
		w, _ := ParseWeek(tc.week)
		if got := berlin.At(w, time.Monday, Clock{Hour: 9}).UTC().Format(time.RFC3339); got != tc.want {
			t.Errorf("%s Monday 09:00 = %s, want %s", tc.week, got, tc.want)
		}
	}
}

func TestParseCalendar(t *testing.T) {
	if _, err := Parse("Mars/Olympus", ""); err == nil {
		t.Error("unknown zone accepted")
	}
	if _, err := Parse("UTC", "someday"); err == nil {
		t.Error("unknown week start accepted")
	}
	if c, err := Parse("", "Sunday"); err != nil || c.WeekStart() != time.Sunday || c.Location() != time.UTC {
		t.Errorf("Parse(\"\", Sunday) = %v, %v", c, err)
	}
	if c, err := Parse("", ""); err != nil || c.WeekStart() != time.Monday || c.Location() != time.UTC {
		t.Errorf("Parse(\"\", \"\") = %v, %v; want the ISO calendar", c, err)
	}
	var zero Calendar
	if zero.WeekStart() != time.Monday || zero.Location() != time.UTC {
		t.Errorf("zero Calendar = %s weeks in %s, want Monday weeks in UTC", zero.WeekStart(), zero.Location())
	}
}

func TestParseWeekday(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Weekday
		bad  bool
	}{
		{"", time.Monday, false},
		{"sunday", time.Sunday, false},
		{" Sun ", time.Sunday, false},
		{"FRI", time.Friday, false},
		{"someday", 0, true},
	} {
		got, err := ParseWeekday(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("ParseWeekday(%q) = %s, %v; want %s (error %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A person's week is their own local week: it turns at their midnight, and
// a week with a daylight-saving change is 167 or 169 hours long.
func TestWeekOfLocalWeeks(t *testing.T) {
	tests := []struct {
		name  string
		at    string
		loc   string
		start time.Weekday
		week  string
		hours float64
	}{
		// Sunday 23:30 UTC is Monday 10:30 in Sydney: the new week there…
		{"sydney monday", "2026-11-15T23:30:00Z", "Australia/Sydney", time.Monday, "2026-W47", 168},
		// …and still last week in London.
		{"london sunday", "2026-11-15T23:30:00Z", "Europe/London", time.Monday, "2026-W46", 168},
		// London leaves summer time on Sunday Oct 25: that week has 169 hours.
		{"dst end week", "2026-10-25T23:30:00Z", "Europe/London", time.Monday, "2026-W43", 169},
		// Monday 00:30 BST is Sunday 23:30 UTC: already the new week.
		{"just after local midnight", "2026-10-18T23:30:00Z", "Europe/London", time.Monday, "2026-W43", 169},
		// Sydney starts summer time on Sunday Oct 4: the week of Sep 28 has 167 hours.
		{"dst start week", "2026-10-03T12:00:00Z", "Australia/Sydney", time.Monday, "2026-W40", 167},
		// A Sunday week is keyed by the ISO week of the Monday after it.
		{"sunday weeks", "2026-11-04T12:00:00Z", "America/New_York", time.Sunday, "2026-W45", 169},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, _ := time.Parse(time.RFC3339, tt.at)
			cal := New(mustLoc(t, tt.loc), tt.start)
			w := cal.WeekOf(at)
			s := cal.Week(w)
			if w.String() != tt.week || s.End.Sub(s.Start).Hours() != tt.hours || !s.Contains(at) {
				t.Errorf("WeekOf = %s (%s → %s, %vh), want %s of %vh", w, s.Start, s.End, s.End.Sub(s.Start).Hours(), tt.week, tt.hours)
			}
			if p := cal.Week(w.Add(-1)); !p.End.Equal(s.Start) || p.Start.Weekday() != tt.start || p.Start.Hour() != 0 {
				t.Errorf("previous week = %s → %s", p.Start, p.End)
			}
		})
	}
}
