package report

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goalpost/goalpost/rules/people"
)

// Week is an ISO 8601 week label such as 2026-W47. It names a week; where
// the week starts and ends depends on a Calendar (a team's time zone and week
// start day).
type Week struct {
	Year int // ISO week-numbering year
	Num  int // 1..53
}

var weekRE = regexp.MustCompile(`^(\d{4})-[Ww](\d{1,2})$`)

// ParseWeek parses "2026-W47" (also "2026-w47" and "2026-W7").
func ParseWeek(s string) (Week, error) {
	m := weekRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Week{}, fmt.Errorf("bad week %q (want e.g. 2026-W47)", s)
	}
	y, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	if n < 1 || n > weeksInYear(y) {
		return Week{}, fmt.Errorf("bad week %q: %d has %d ISO weeks", s, y, weeksInYear(y))
	}
	return Week{Year: y, Num: n}, nil
}

// String formats the week as "2026-W47".
func (w Week) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Num) }

// MarshalText writes the week as "2026-W47".
func (w Week) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText parses "2026-W47".
func (w *Week) UnmarshalText(b []byte) error {
	v, err := ParseWeek(string(b))
	if err != nil {
		return err
	}
	*w = v
	return nil
}

// IsZero reports whether w is the zero Week.
func (w Week) IsZero() bool { return w == Week{} }

// Add returns the week n weeks after w (n may be negative).
func (w Week) Add(n int) Week {
	y, m, d := w.monday().AddDate(0, 0, 7*n).Date()
	return isoWeek(y, m, d)
}

// Before reports whether w comes before v.
func (w Week) Before(v Week) bool {
	return w.Year < v.Year || (w.Year == v.Year && w.Num < v.Num)
}

// monday is the civil date (as a UTC midnight) of the ISO week's Monday.
func (w Week) monday() time.Time {
	// 4 January is always in week 1.
	jan4 := time.Date(w.Year, time.January, 4, 0, 0, 0, 0, time.UTC)
	wd := (int(jan4.Weekday()) + 6) % 7 // Monday = 0
	return jan4.AddDate(0, 0, -wd+7*(w.Num-1))
}

func isoWeek(y int, m time.Month, d int) Week {
	yy, ww := time.Date(y, m, d, 12, 0, 0, 0, time.UTC).ISOWeek()
	return Week{Year: yy, Num: ww}
}

func weeksInYear(y int) int {
	_, w := time.Date(y, time.December, 28, 12, 0, 0, 0, time.UTC).ISOWeek()
	return w
}

// Calendar places weeks in time for one team: its time zone and the day its
// week starts. A week labelled 2026-W47 starts on the week-start day nearest
// to the ISO week's Monday (Friday..Sunday before it, Tuesday..Thursday after
// it), at 00:00 local time, and ends 7 calendar days later at 00:00 local
// time, so a week spanning a DST change is 167 or 169 hours long.
type Calendar struct {
	Loc   *time.Location
	Start time.Weekday
}

// NewCalendar builds a Calendar from a time zone name ("" is UTC) and a week
// start day name ("" is monday).
func NewCalendar(tz, weekStart string) (Calendar, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return Calendar{}, fmt.Errorf("time zone %q: %w", tz, err)
	}
	start, err := people.ParseWeekday(weekStart)
	if err != nil {
		return Calendar{}, err
	}
	return Calendar{Loc: loc, Start: start}, nil
}

// shift is the week-start day's offset from the ISO Monday, in [-3, 3].
func (c Calendar) shift() int {
	s := (int(c.Start) + 6) % 7 // Monday = 0 .. Sunday = 6
	if s > 3 {
		s -= 7
	}
	return s
}

func (c Calendar) loc() *time.Location {
	if c.Loc == nil {
		return time.UTC
	}
	return c.Loc
}

// Bounds returns when week w starts (inclusive) and ends (exclusive), in the
// calendar's time zone.
func (c Calendar) Bounds(w Week) (start, end time.Time) {
	y, m, d := w.monday().AddDate(0, 0, c.shift()).Date()
	start = time.Date(y, m, d, 0, 0, 0, 0, c.loc())
	end = time.Date(y, m, d+7, 0, 0, 0, 0, c.loc())
	return start, end
}

// WeekOf returns the week containing t.
func (c Calendar) WeekOf(t time.Time) Week {
	y, m, d := t.In(c.loc()).Date()
	local := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	back := (int(local.Weekday()) - int(c.Start) + 7) % 7
	ws := local.AddDate(0, 0, -back-c.shift()) // the ISO Monday of that week
	return isoWeek(ws.Date())
}

// At returns the instant of the given local day-of-week and clock time within
// week w (the day counted from the week's start day). Nonexistent local times
// (in a DST gap) move forward as time.Date does.
func (c Calendar) At(w Week, day time.Weekday, clock Clock) time.Time {
	start, _ := c.Bounds(w)
	off := (int(day) - int(c.Start) + 7) % 7
	y, m, d := start.Date()
	return time.Date(y, m, d+off, clock.Hour, clock.Minute, 0, 0, c.loc())
}

// Clock is a local time of day.
type Clock struct{ Hour, Minute int }

// ParseClock parses "09:00" (24-hour).
func ParseClock(s string) (Clock, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return Clock{}, fmt.Errorf("bad time %q (want HH:MM, 24-hour)", s)
	}
	return Clock{Hour: t.Hour(), Minute: t.Minute()}, nil
}

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }
