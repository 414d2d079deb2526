package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/pipeline/event"
)

// How a ratio key result counts canceled issues (KeyResult.Canceled):
// canceled, won't-do, declined and duplicate resolutions, and trackers'
// canceled states (ADR 45).
const (
	// CanceledExcluded (the default) takes them out of both sides: 8 done
	// of 10, 2 canceled, is 80 %.
	CanceledExcluded = "excluded"
	// CanceledDone counts them done, as Jira's status category does: 10 of 12.
	CanceledDone = "done"
	// CanceledOpen counts them in scope and not done: 8 of 12.
	CanceledOpen = "open"
)

var canceledModes = []string{CanceledExcluded, CanceledDone, CanceledOpen}

// How a ratio key result's value reads (KeyResult.Display).
const (
	DisplayPercent  = "percent"  // the default: 0–100, unit "%"
	DisplayFraction = "fraction" // 0–1, no unit
)

var displayModes = []string{DisplayPercent, DisplayFraction}

// fraction reports whether a ratio reads as a fraction of 1.
func (r *Rule) fraction() bool { return r.Type == TypeRatio && r.KR.Display == DisplayFraction }

// ratioCounts is what a ratio divides, its canceled issues counted as the
// key result says, and how the formula names them ("" when none count).
func (r *Rule) ratioCounts(in *Inputs) (done, total int, note string) {
	done, total = in.Done, in.Total
	if in.Canceled == 0 {
		return done, total, ""
	}
	switch r.KR.Canceled {
	case CanceledDone:
		return done + in.Canceled, total + in.Canceled, fmt.Sprintf(" (%s counted done)", plural(in.Canceled, "canceled issue"))
	case CanceledOpen:
		return done, total + in.Canceled, fmt.Sprintf(" (%s counted open)", plural(in.Canceled, "canceled issue"))
	}
	return done, total, fmt.Sprintf(" (%s excluded)", plural(in.Canceled, "canceled issue"))
}

// The event times a key result's window can apply to (KeyResult.WindowOn).
const (
	WindowOnOccurred = "occurred_at"
	WindowOnCreated  = "created_at"
)

var windowOns = []string{WindowOnOccurred, WindowOnCreated}

// At is the time of ev that r's window and period apply to: its issue's or
// incident's creation with window_on = "created_at" (when ev carries it),
// else when ev happened.
func (r *Rule) At(ev *event.Event) time.Time {
	if r.KR.WindowOn == WindowOnCreated {
		if t, ok := ev.CreatedAt(); ok {
			return t
		}
	}
	return ev.OccurredAt
}

// definitions checks a key result's definition options.
func (c *checker) definitions(p string, kr KeyResult) {
	counting := kr.Type == TypeCount || kr.Type == TypeMetric
	c.option(p, kr.Key, "window_on", kr.WindowOn, counting, "count and metric", windowOns)
	c.option(p, kr.Key, "display", kr.Display, kr.Type == TypeRatio, "ratio", displayModes)
	c.option(p, kr.Key, "canceled", kr.Canceled, kr.Type == TypeRatio, "ratio", canceledModes)
}

// option checks one definition option of key result key: unset is fine;
// set, it must apply to the key result's type (applies, said as types) and
// be one of allowed.
func (c *checker) option(p, key, name, value string, applies bool, types string, allowed []string) {
	switch {
	case value == "":
	case !applies:
		c.errf(p+"."+name, "key result %q: %s applies to %s key results only", key, name, types)
	case !slices.Contains(allowed, value):
		c.errf(p+"."+name, "key result %q: %s is %s, got %q%s", key, name, strings.Join(allowed, ", "), value,
			confval.DidYouMean(strings.ToLower(value), allowed))
	}
}
