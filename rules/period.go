package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParsePeriod turns a period written as a quarter ("2026-Q4"), a half
// ("2026-H2") or a year ("2026") into [start, end) at midnight in loc.
func ParsePeriod(s string, loc *time.Location) (start, end time.Time, err error) {
	s = strings.TrimSpace(s)
	yearPart, rest, hasRest := strings.Cut(s, "-")
	year, err := strconv.Atoi(yearPart)
	if err != nil || year < 1970 || year > 9999 || len(yearPart) != 4 {
		return start, end, fmt.Errorf("period %q: want a quarter like 2026-Q4, a half like 2026-H2 or a year", s)
	}
	if !hasRest {
		start = time.Date(year, time.January, 1, 0, 0, 0, 0, loc)
		return start, start.AddDate(1, 0, 0), nil
	}
	rest = strings.ToUpper(rest)
	months := map[byte]int{'Q': 3, 'H': 6}[firstByte(rest)]
	n, err := strconv.Atoi(rest[min(1, len(rest)):])
	if months == 0 || err != nil || n < 1 || n > 12/months {
		return start, end, fmt.Errorf("period %q: want a quarter like 2026-Q4, a half like 2026-H2 or a year", s)
	}
	start = time.Date(year, time.Month(1+(n-1)*months), 1, 0, 0, 0, 0, loc)
	return start, start.AddDate(0, months, 0), nil
}

func firstByte(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

// ParseDates turns start and end dates (YYYY-MM-DD, end inclusive) into
// [start, end) at midnight in loc.
func ParseDates(startDate, endDate string, loc *time.Location) (start, end time.Time, err error) {
	start, err = time.ParseInLocation(time.DateOnly, strings.TrimSpace(startDate), loc)
	if err != nil {
		return start, end, fmt.Errorf("start %q: want a date like 2026-10-01", startDate)
	}
	last, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(endDate), loc)
	if err != nil {
		return start, end, fmt.Errorf("end %q: want a date like 2026-12-31", endDate)
	}
	end = last.AddDate(0, 0, 1)
	if !end.After(start) {
		return start, end, fmt.Errorf("end %s is before start %s", endDate, startDate)
	}
	return start, end, nil
}

// ParseWindow parses a trailing window: a number of days ("28d"), weeks
// ("4w") or any Go duration ("12h", "90m").
func ParseWindow(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
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
		return 0, fmt.Errorf("window %q: want a positive duration like 28d, 4w or 12h", s)
	}
	return d, nil
}

// Pace is the share of [start, end) elapsed at now, clamped to 0..1: the
// progress a straight line from baseline to target expects by now.
func Pace(start, end, now time.Time) float64 {
	total := end.Sub(start)
	if total <= 0 {
		return 1
	}
	return clamp(float64(now.Sub(start))/float64(total), 0, 1)
}

func clamp(v, lo, hi float64) float64 {
	switch {
	case v <= lo: // also -0, which is not below 0
		return lo
	case v > hi:
		return hi
	}
	return v
}
