package calendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WindowKind says how a Window's span is placed.
type WindowKind int

// Window kinds. Calendar windows (a week, month or quarter to date, or the
// previous full one) are placed by a Calendar: they start at local midnight
// in its time zone, weeks on its week start.
const (
	// WindowPeriod is the key result's period so far (the default).
	WindowPeriod WindowKind = iota
	// WindowTrailing is a fixed length ending at the moment ("28d").
	WindowTrailing
	// WindowToDate is the calendar unit holding the moment, so far
	// ("week", "month", "quarter").
	WindowToDate
	// WindowPrevious is the last full calendar unit before the one holding
	// the moment ("last_week", "last_month", "last_quarter").
	WindowPrevious
)

// Unit is the calendar unit of a to-date or previous window.
type Unit int

// Calendar units.
const (
	UnitWeek Unit = iota + 1
	UnitMonth
	UnitQuarter
)

var unitNames = map[Unit]string{UnitWeek: "week", UnitMonth: "month", UnitQuarter: "quarter"}

func (u Unit) String() string { return unitNames[u] }

// Window is the span a key result aggregates over, relative to the moment
// it is evaluated at, in a Calendar. The zero Window is the period so far.
type Window struct {
	Kind     WindowKind
	Trailing time.Duration // WindowTrailing: the length, > 0
	Unit     Unit          // WindowToDate and WindowPrevious
}

// Trailing returns the trailing window of length d.
func Trailing(d time.Duration) Window { return Window{Kind: WindowTrailing, Trailing: d} }

// WindowNames are the calendar windows ParseWindow takes by name.
var WindowNames = []string{"week", "month", "quarter", "last_week", "last_month", "last_quarter"}

// ParseWindow parses a window as written in a config: "" (the period so
// far), a calendar unit so far ("week", "month", "quarter"), the previous
// full one ("last_week", "last_month", "last_quarter"), or a trailing
// number of days ("28d"), weeks ("4w") or any Go duration ("12h", "90m").
func ParseWindow(s string) (Window, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Window{}, nil
	}
	name := strings.ToLower(s)
	kind, name := WindowToDate, name
	if rest, ok := strings.CutPrefix(name, "last_"); ok {
		kind, name = WindowPrevious, rest
	}
	for u, n := range unitNames {
		if n == name {
			return Window{Kind: kind, Unit: u}, nil
		}
	}
	var d time.Duration
	var err error
	switch unit := s[len(s)-1]; unit {
	case 'd', 'w':
		var n float64
		n, err = strconv.ParseFloat(s[:len(s)-1], 64)
		day := 24 * time.Hour
		if unit == 'w' {
			day *= 7
		}
		d = time.Duration(n * float64(day))
	default:
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return Window{}, fmt.Errorf("window %q: want a duration like 28d, 4w or 12h, or one of %s",
			s, strings.Join(WindowNames, ", "))
	}
	return Trailing(d), nil
}

// IsPeriod reports whether w is the period so far.
func (w Window) IsPeriod() bool { return w.Kind == WindowPeriod }

// IsCalendar reports whether w is a calendar window (to date or previous).
func (w Window) IsCalendar() bool { return w.Kind == WindowToDate || w.Kind == WindowPrevious }

// String writes w as a config would: "", "28d", "month", "last_quarter".
func (w Window) String() string {
	switch w.Kind {
	case WindowTrailing:
		if w.Trailing%(24*time.Hour) == 0 {
			return strconv.Itoa(int(w.Trailing/(24*time.Hour))) + "d"
		}
		return w.Trailing.String()
	case WindowToDate:
		return w.Unit.String()
	case WindowPrevious:
		return "last_" + w.Unit.String()
	}
	return ""
}

// Describe names a calendar window in words: "the month so far", "the
// last full week"; "" for the other kinds.
func (w Window) Describe() string {
	switch w.Kind {
	case WindowToDate:
		return "the " + w.Unit.String() + " so far"
	case WindowPrevious:
		return "the last full " + w.Unit.String()
	}
	return ""
}

// Span places w at the moment to (exclusive) within period, in c: the
// period so far is [period.Start, to), a trailing window [to − length, to),
// a unit to date [the unit's start, to) and a previous unit [its start, the
// current unit's start). The unit is the one holding the last instant
// before to. to is where the evaluation stops reading: the moment, or the
// period's end once the period is over (so a closed period keeps the
// windows of its last instant).
func (c Calendar) Span(w Window, period Span, to time.Time) Span {
	switch w.Kind {
	case WindowTrailing:
		return Span{Start: to.Add(-w.Trailing), End: to}
	case WindowToDate:
		return Span{Start: c.unitStart(w.Unit, to.Add(-time.Nanosecond), 0), End: to}
	case WindowPrevious:
		at := to.Add(-time.Nanosecond)
		return Span{Start: c.unitStart(w.Unit, at, -1), End: c.unitStart(w.Unit, at, 0)}
	}
	return Span{Start: period.Start, End: to}
}

// unitStart is the start of the unit n units after the one holding t.
func (c Calendar) unitStart(u Unit, t time.Time, n int) time.Time {
	if u == UnitWeek {
		return c.Week(c.WeekOf(t).Add(n)).Start
	}
	y, m, _ := t.In(c.Location()).Date()
	months := 1
	if u == UnitQuarter {
		months = 3
		m = (m-1)/3*3 + 1
	}
	return time.Date(y, m+time.Month(n*months), 1, 0, 0, 0, 0, c.Location())
}

// Units is how many calendar units (weeks or months; a quarter counts as
// three months) s covers: whole units count 1 each whatever their length (a
// week holding a daylight-saving change, a 28-day month), a part of a unit
// the share of that unit's length.
func (c Calendar) Units(u Unit, s Span) float64 {
	if u == UnitQuarter {
		return c.Units(UnitMonth, s) / 3
	}
	total := 0.0
	for t := s.Start; t.Before(s.End); {
		start, next := c.unitStart(u, t, 0), c.unitStart(u, t, 1)
		end := next
		if s.End.Before(end) {
			end = s.End
		}
		total += float64(end.Sub(t)) / float64(next.Sub(start))
		t = next
	}
	return total
}
