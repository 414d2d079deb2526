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
// previous full one) are placed by a Calendar, so they start at local
// midnight in its time zone on its week start; they are new kinds here.
const (
	// WindowPeriod is the key result's period so far (the default).
	WindowPeriod WindowKind = iota
	// WindowTrailing is a fixed length ending at the moment ("28d").
	WindowTrailing
)

// Window is the span a key result aggregates over, relative to the moment
// it is evaluated at, in a Calendar. The zero Window is the period so far.
type Window struct {
	Kind     WindowKind
	Trailing time.Duration // WindowTrailing: the length, > 0
}

// Trailing returns the trailing window of length d.
func Trailing(d time.Duration) Window { return Window{Kind: WindowTrailing, Trailing: d} }

// ParseWindow parses a window as written in a config: "" (the period so
// far), or a trailing number of days ("28d"), weeks ("4w") or any Go
// duration ("12h", "90m").
func ParseWindow(s string) (Window, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Window{}, nil
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
		return Window{}, fmt.Errorf("window %q: want a positive duration like 28d, 4w or 12h", s)
	}
	return Trailing(d), nil
}

// IsPeriod reports whether w is the period so far.
func (w Window) IsPeriod() bool { return w.Kind == WindowPeriod }

// Span places w at the moment to (exclusive) within period, in c: the
// period so far is [period.Start, to), a trailing window [to − length, to).
// to is where the evaluation stops reading: the moment, or the period's end
// once the period is over.
func (c Calendar) Span(w Window, period Span, to time.Time) Span {
	switch w.Kind {
	case WindowTrailing:
		return Span{Start: to.Add(-w.Trailing), End: to}
	}
	return Span{Start: period.Start, End: to}
}
