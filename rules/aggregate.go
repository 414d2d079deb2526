package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/goalpost/goalpost/rules/calendar"
)

// Aggregate computes a metric aggregate over values (oldest first) and
// describes the computation with its numbers.
//
// Percentiles use the nearest-rank definition: p95 of n values is the
// ⌈0.95 × n⌉-th smallest (so p95 of 20 values is the 19th, of 10 values the
// 10th). The median is the middle value for an odd count and the mean of
// the two middle values for an even count. last is the newest value.
func Aggregate(agg string, values []float64) (float64, string) {
	return AggregateSample(agg, SampleOf(values))
}

// AggregateSample is Aggregate over a Sample of the values.
func AggregateSample(agg string, s Sample) (float64, string) {
	n := s.N
	if n == 0 {
		return 0, agg + " of no values"
	}
	sorted := list(s.smallest(), n)
	switch agg {
	case AggMedian:
		if n%2 == 1 {
			v := s.Sorted[n/2]
			return v, fmt.Sprintf("median of %s %s = %s (the %s)", plural(n, "value"), sorted, num(v), ordinal(n/2+1))
		}
		a, b := s.Sorted[n/2-1], s.Sorted[n/2]
		v := (a + b) / 2
		return v, fmt.Sprintf("median of %s %s = (%s + %s) / 2 = %s", plural(n, "value"), sorted, num(a), num(b), num(round(v, 4)))
	case AggP95:
		rank := p95Rank(n)
		v := s.Sorted[rank-1]
		return v, fmt.Sprintf("p95 (nearest rank ⌈0.95 × %d⌉ = %d) of %s = %s", n, rank, sorted, num(v))
	case AggAvg, AggSum:
		sum := s.Sum
		if agg == AggSum {
			return sum, fmt.Sprintf("sum of %s %s = %s", plural(n, "value"), list(s.Oldest, n), num(round(sum, 4)))
		}
		return sum / float64(n), fmt.Sprintf("avg = %s / %d = %s", num(round(sum, 4)), n, num(round(sum/float64(n), 4)))
	case AggMin:
		return s.Sorted[0], fmt.Sprintf("min of %s %s = %s", plural(n, "value"), sorted, num(s.Sorted[0]))
	case AggMax:
		return s.Sorted[n-1], fmt.Sprintf("max of %s %s = %s", plural(n, "value"), sorted, num(s.Sorted[n-1]))
	case AggLast:
		return s.Last, fmt.Sprintf("last of %s = %s", plural(n, "value"), num(s.Last))
	}
	return 0, "unknown aggregate " + agg
}

// perPeriod is count_per_week / count_per_month: units in the window
// divided by the window's length in weeks or months. A trailing window (and
// the default) is measured in 7-day weeks or 30-day months; a calendar
// window in the calendar's own weeks and months (last_week is 1 week,
// last_month 1 month whatever its days, last_quarter 3 months, a month to
// date the share of the month elapsed).
// (A rule's per-period window is never the period: it defaults to trailing.)
func perPeriod(agg string, units int, w calendar.Window, c calendar.Calendar, span calendar.Span) (float64, string) {
	unit, cu, per := "week", calendar.UnitWeek, 7*24*time.Hour
	if agg == AggCountPerMonth {
		unit, cu, per = "month", calendar.UnitMonth, 30*24*time.Hour
	}
	spans, in := float64(w.Trailing)/float64(per), "the last "+days(w.Trailing)
	if w.IsCalendar() {
		spans, in = c.Units(cu, span), present(w)
	}
	if spans <= 0 {
		return 0, fmt.Sprintf("%s = %s in %s, an empty window", agg, plural(units, "unit"), in)
	}
	v := float64(units) / spans
	return v, fmt.Sprintf("%s = %s in %s / %s %ss = %s per %s",
		agg, plural(units, "unit"), in, num(round(spans, 4)), unit, num(round(v, 4)), unit)
}

// present names a window in a formula: "the period so far", "the last
// 28 days", "the month so far", "the last full quarter".
func present(w calendar.Window) string {
	switch w.Kind {
	case calendar.WindowTrailing:
		return "the last " + days(w.Trailing)
	case calendar.WindowPeriod:
		return "the period"
	}
	return w.Describe()
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

// list formats the first of n values (first holds at least min(n,
// listMax) of them).
func list(first []float64, n int) string {
	parts := make([]string, 0, min(n, listMax)+1)
	for i := range min(n, listMax) {
		parts = append(parts, num(round(first[i], 4)))
	}
	if n > listMax {
		parts = append(parts, fmt.Sprintf("… %d more", n-listMax))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// plural is n and noun, plural when n is not 1 ("1 value", "3 values"): the
// formulas' one spelling (report/present.Count for people's text; rules
// cannot import it).
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
