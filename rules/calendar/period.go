package calendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period returns the span of a period written as a quarter ("2026-Q4"), a
// half ("2026-H2") or a year ("2026"), between local midnights.
func (c Calendar) Period(s string) (Span, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("period %q: want a quarter like 2026-Q4, a half like 2026-H2 or a year", s)
	yearPart, rest, hasRest := strings.Cut(s, "-")
	year, err := strconv.Atoi(yearPart)
	if err != nil || year < 1970 || year > 9999 || len(yearPart) != 4 {
		return Span{}, bad
	}
	if !hasRest {
		return c.months(year, 1, 12), nil
	}
	rest = strings.ToUpper(rest)
	var months int
	if rest != "" {
		months = map[byte]int{'Q': 3, 'H': 6}[rest[0]]
	}
	n, err := strconv.Atoi(rest[min(1, len(rest)):])
	if months == 0 || err != nil || n < 1 || n > 12/months {
		return Span{}, bad
	}
	return c.months(year, 1+(n-1)*months, months), nil
}

// Dates returns the span from startDate to endDate (YYYY-MM-DD, both days
// included), between local midnights.
func (c Calendar) Dates(startDate, endDate string) (Span, error) {
	first, err := time.Parse(time.DateOnly, strings.TrimSpace(startDate))
	if err != nil {
		return Span{}, fmt.Errorf("start %q: want a date like 2026-10-01", startDate)
	}
	last, err := time.Parse(time.DateOnly, strings.TrimSpace(endDate))
	if err != nil {
		return Span{}, fmt.Errorf("end %q: want a date like 2026-12-31", endDate)
	}
	if last.Before(first) {
		return Span{}, fmt.Errorf("end %s is before start %s", endDate, startDate)
	}
	y, m, d := first.Date()
	return c.days(y, m, d, int(last.Sub(first).Hours()/24)+1), nil
}

// months is the span of n calendar months from the first of month m.
func (c Calendar) months(year, m, n int) Span {
	return Span{
		Start: time.Date(year, time.Month(m), 1, 0, 0, 0, 0, c.Location()),
		End:   time.Date(year, time.Month(m+n), 1, 0, 0, 0, 0, c.Location()),
	}
}
