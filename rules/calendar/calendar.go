// Package calendar places goalpost's time words in time: weeks in a
// person's or team's time zone with a configurable week start, ISO week keys
// ("2026-W47"), periods ("2026-Q4", "2026-H2", "2026", explicit dates) and
// the windows a key result aggregates over. The engine, the weekly baseline,
// the report and its scheduler all use it, so a week or a quarter means the
// same span everywhere.
//
// Every span is [Start, End) between local midnights: a week holding a
// daylight-saving change is 167 or 169 hours long. The package holds no
// state and does no I/O besides reading time zone data.
package calendar

import (
	"fmt"
	"strings"
	"time"
)

// Calendar is one time zone and the day its weeks start on. The zero
// Calendar is UTC with Monday weeks (ISO weeks).
type Calendar struct {
	loc        *time.Location
	fromMonday int // the week-start day: 0 Monday .. 6 Sunday
}

// New returns the calendar of loc (nil is UTC) with weeks starting on start.
func New(loc *time.Location, start time.Weekday) Calendar {
	return Calendar{loc: loc, fromMonday: (int(start) + 6) % 7}
}

// UTC is the calendar of ISO weeks in UTC.
var UTC = Calendar{}

// Parse builds a Calendar from a time zone name ("" is UTC) and a week
// start day name ("" is monday).
func Parse(tz, weekStart string) (Calendar, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return Calendar{}, fmt.Errorf("time zone %q: %w", tz, err)
	}
	start, err := ParseWeekday(weekStart)
	if err != nil {
		return Calendar{}, err
	}
	return New(loc, start), nil
}

// ParseWeekday parses a week start: "monday" (also "mon") … "sunday"; ""
// means Monday.
func ParseWeekday(s string) (time.Weekday, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return time.Monday, nil
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || s == name[:3] {
			return d, nil
		}
	}
	return time.Monday, fmt.Errorf("week start %q: want a day such as monday or sunday", s)
}

// Location is the calendar's time zone.
func (c Calendar) Location() *time.Location {
	if c.loc == nil {
		return time.UTC
	}
	return c.loc
}

// WeekStart is the day the calendar's weeks start on.
func (c Calendar) WeekStart() time.Weekday { return time.Weekday((c.fromMonday + 1) % 7) }

// shift is the week-start day's offset from the ISO Monday, in [-3, 3]: a
// week keyed 2026-W47 starts on the week-start day nearest to the ISO week's
// Monday (Friday..Sunday before it, Tuesday..Thursday after it).
func (c Calendar) shift() int {
	if c.fromMonday > 3 {
		return c.fromMonday - 7
	}
	return c.fromMonday
}

// Week returns when week w starts and ends in this calendar: 00:00 local on
// its start day, and 00:00 local seven days later.
func (c Calendar) Week(w Week) Span {
	y, m, d := w.monday().AddDate(0, 0, c.shift()).Date()
	return c.days(y, m, d, 7)
}

// WeekOf returns the week containing t.
func (c Calendar) WeekOf(t time.Time) Week {
	y, m, d := t.In(c.Location()).Date()
	local := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	back := (int(local.Weekday()) - int(c.WeekStart()) + 7) % 7
	iso := local.AddDate(0, 0, -back-c.shift()) // the ISO Monday of that week
	return isoWeek(iso.Date())
}

// WeekContaining returns the span of the week containing t.
func (c Calendar) WeekContaining(t time.Time) Span { return c.Week(c.WeekOf(t)) }

// At returns the instant of the local day-of-week and clock time within week
// w (the day counted from the week's start day). Nonexistent local times (in
// a daylight-saving gap) move forward as time.Date does.
func (c Calendar) At(w Week, day time.Weekday, clock Clock) time.Time {
	start := c.Week(w).Start
	off := (int(day) - int(c.WeekStart()) + 7) % 7
	y, m, d := start.Date()
	return time.Date(y, m, d+off, clock.Hour, clock.Minute, 0, 0, c.Location())
}

// days is the span of n local days from y-m-d.
func (c Calendar) days(y int, m time.Month, d, n int) Span {
	return Span{
		Start: time.Date(y, m, d, 0, 0, 0, 0, c.Location()),
		End:   time.Date(y, m, d+n, 0, 0, 0, 0, c.Location()),
	}
}

// Span is [Start, End) between two instants.
type Span struct {
	Start, End time.Time
}

// Contains reports whether t falls in s.
func (s Span) Contains(t time.Time) bool { return !t.Before(s.Start) && t.Before(s.End) }

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
