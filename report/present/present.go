// Package present is how goalpost writes values for people: numbers,
// values with their unit, deltas, shares, durations, counts and key-result
// statuses. The CLI (explain, status, baseline), the weekly report (Markdown,
// HTML, Slack, Notion), the writeback bodies (Notion pages, Linear updates)
// all format through it, so the same value reads the same everywhere.
//
// Machines get the rules' own spellings: a status in JSON is rules.StatusOnTrack
// ("on_track"), a number is a JSON number. This package is only for text a
// person reads. It holds no state and does no I/O.
package present

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goalpost/goalpost/rules/calendar"
)

// Number writes v with at most two decimals and no trailing zeros: 12,
// 12.5, 0.33. Negative zero and values that round to zero are "0".
func Number(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	r := math.Round(v*100) / 100
	if r == 0 {
		return "0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// Value writes v in a key result's unit: "12", "80%", "12 min".
func Value(v float64, unit string) string {
	switch unit {
	case "":
		return Number(v)
	case "%":
		return Number(v) + "%"
	}
	return Number(v) + " " + unit
}

// Delta writes a change with its sign: "+4", "±0", "−2.5" (a true minus).
func Delta(v float64) string {
	switch s := Number(v); {
	case s == "0":
		return "±0"
	case v > 0:
		return "+" + s
	default:
		return "−" + Number(-v)
	}
}

// Percent writes a share (0..1) as a whole percentage: 0.754 is "75%".
func Percent(share float64) string {
	return strconv.Itoa(int(math.Round(share*100))) + "%"
}

// Duration writes d rounded to the second without zero units: "10s", "5m",
// "1h30m", "2m3s"; whole days as "28d"; under a second it is "0s".
func Duration(d time.Duration) string {
	const day = 24 * time.Hour
	d = d.Round(time.Second)
	switch {
	case d == 0:
		return "0s"
	case d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Count writes n with its noun, singular or plural: "1 item", "3 items",
// "0 items".
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// Window writes the span a key result aggregates over: "the period so far",
// "trailing 28d", "the month so far", "the last full week".
func Window(w calendar.Window) string {
	switch w.Kind {
	case calendar.WindowTrailing:
		return "trailing " + Duration(w.Trailing)
	case calendar.WindowToDate, calendar.WindowPrevious:
		return w.Describe()
	}
	return "the period so far"
}
