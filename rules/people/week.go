package people

import (
	"fmt"
	"strings"
	"time"
)

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

// Week is one local calendar week: [Start, End) as instants, which are
// midnight on the week-start day in the week's time zone. A week that
// contains a daylight-saving change is 167 or 169 hours long.
type Week struct {
	Start, End time.Time
}

// WeekOf returns the local week containing t in loc, with weeks starting on
// start at 00:00 local time.
func WeekOf(t time.Time, loc *time.Location, start time.Weekday) Week {
	lt := t.In(loc)
	back := (int(lt.Weekday()) - int(start) + 7) % 7
	y, m, d := lt.Date()
	return Week{
		Start: time.Date(y, m, d-back, 0, 0, 0, 0, loc),
		End:   time.Date(y, m, d-back+7, 0, 0, 0, 0, loc),
	}
}

// Prev returns the week before w.
func (w Week) Prev() Week {
	s := w.Start
	y, m, d := s.Date()
	return Week{Start: time.Date(y, m, d-7, 0, 0, 0, 0, s.Location()), End: w.Start}
}

// Contains reports whether t falls in w.
func (w Week) Contains(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// Label names the week: the ISO week ("2026-W47") for weeks starting on
// Monday, else the date of its first day ("2026-11-15").
func (w Week) Label() string {
	if w.Start.Weekday() == time.Monday {
		y, n := w.Start.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, n)
	}
	return w.Start.Format(time.DateOnly)
}
