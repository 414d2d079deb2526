package people

import (
	"time"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/rules/calendar"
)

// tenure is a person's time on the team and the weeks they were away, as
// configured: Start and End as instants in their time zone (zero when
// unset), Away as week keys.
type tenure struct {
	start, end time.Time
	away       map[calendar.Week]bool
}

// parseTenure reads p's start, end and away weeks in loc.
func parseTenure(path string, p Person, loc *time.Location) (tenure, []error) {
	var errs []error
	t := tenure{away: map[calendar.Week]bool{}}
	date := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		d, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			errs = append(errs, confval.Fieldf(path+"."+field, "want a date like 2026-10-12, got %q", s))
		}
		return d
	}
	t.start, t.end = date("start", p.Start), date("end", p.End)
	if !t.end.IsZero() {
		t.end = t.end.AddDate(0, 0, 1) // the end date is the last day on the team
	}
	if !t.start.IsZero() && !t.end.IsZero() && !t.end.After(t.start) {
		errs = append(errs, confval.Fieldf(path+".end", "%s is before start %s", p.End, p.Start))
	}
	for _, s := range p.Away {
		w, err := calendar.ParseWeek(s)
		if err != nil {
			errs = append(errs, confval.Fieldf(path+".away", "want an ISO week like 2026-W47, got %q", s))
			continue
		}
		t.away[w] = true
	}
	return t, errs
}

// Covers reports whether the person was on the team for all of span:
// false for a week that starts before their start date or ends after their
// end date (their baseline shows "no data" there, never a miss).
func (d *Directory) Covers(personKey string, span calendar.Span) bool {
	t := d.tenures[personKey]
	if !t.start.IsZero() && span.Start.Before(t.start) {
		return false
	}
	return t.end.IsZero() || !span.End.After(t.end)
}

// Away reports whether the configuration marks the person away in week.
func (d *Directory) Away(personKey string, week calendar.Week) bool {
	return d.tenures[personKey].away[week]
}
