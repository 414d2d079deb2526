package calendar

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Week is an ISO 8601 week key such as 2026-W47. It names a week; where the
// week starts and ends depends on a Calendar (a time zone and week start
// day), so the same key is the same week for everyone, whatever their zone.
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

// Range returns the n weeks ending with w, oldest first.
func (w Week) Range(n int) []Week {
	out := make([]Week, n)
	for i := range out {
		out[i] = w.Add(i - n + 1)
	}
	return out
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
