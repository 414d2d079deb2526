package calendar

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Quarter is a calendar quarter such as 2026-Q4. Like a Week it names the
// quarter; its span depends on a Calendar's time zone.
type Quarter struct {
	Year int
	Num  int // 1..4
}

var quarterRE = regexp.MustCompile(`^(\d{4})-[Qq]([1-4])$`)

// ParseQuarter parses "2026-Q4" (also "2026-q4").
func ParseQuarter(s string) (Quarter, error) {
	m := quarterRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Quarter{}, fmt.Errorf("bad quarter %q (want YYYY-QN, e.g. 2026-Q4)", s)
	}
	y, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	return Quarter{Year: y, Num: n}, nil
}

// QuarterOf returns the quarter containing t in c's time zone.
func (c Calendar) QuarterOf(t time.Time) Quarter {
	local := t.In(c.Location())
	return Quarter{Year: local.Year(), Num: (int(local.Month())-1)/3 + 1}
}

// Quarter returns q's span: from the first of its first month to the first
// of the next quarter, local midnights.
func (c Calendar) Quarter(q Quarter) Span { return c.months(q.Year, 1+(q.Num-1)*3, 3) }

// String formats the quarter as "2026-Q4".
func (q Quarter) String() string { return fmt.Sprintf("%04d-Q%d", q.Year, q.Num) }

// MarshalText writes the quarter as "2026-Q4".
func (q Quarter) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalText parses "2026-Q4".
func (q *Quarter) UnmarshalText(b []byte) error {
	v, err := ParseQuarter(string(b))
	if err != nil {
		return err
	}
	*q = v
	return nil
}
