package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

// fairness is what keeps the weekly baseline from counting a week nobody
// could have shipped in as a miss (ADR 19): the start of the shipping
// history, each person's start and end dates, and their away weeks.
type fairness struct {
	dir *people.Directory
	// history is when the stored shipping history starts (the earliest
	// event of a source that emits shipped changes); zero when there is none.
	history time.Time
	awayIn  map[string]map[string]bool // person → week → away, as recorded in the store
}

// fairness reads the history start and the recorded away weeks.
func (e *Engine) fairness(ctx context.Context) (fairness, error) {
	f := fairness{dir: e.dir}
	var err error
	if f.history, err = e.st.HistoryStart(ctx, sourcesOfKinds([]string{event.KindChangeShipped})); err != nil {
		return f, err
	}
	f.awayIn, err = e.st.AwayWeeks(ctx)
	return f, err
}

// covers reports whether the person's week span is one they could have
// shipped in: it starts at or after the history start and lies within
// their start and end dates.
func (f fairness) covers(person string, span calendar.Span) bool {
	if f.history.IsZero() || span.Start.Before(f.history) {
		return false
	}
	return f.dir.Covers(person, span)
}

func (f fairness) away(person string, week calendar.Week) bool {
	return f.dir.Away(person, week) || f.awayIn[person][week.String()]
}

// SetAway records that person was away in week (an ISO week such as
// 2026-W47): in the weekly baseline that week is neither a miss nor silent.
// An unknown person or a malformed week is an InputError; recording a week
// again changes nothing.
func (e *Engine) SetAway(ctx context.Context, person, week string) error {
	if _, ok := e.dir.Person(person); !ok {
		var keys []string
		for _, p := range e.dir.People() {
			keys = append(keys, p.Key)
		}
		return &InputError{Msg: fmt.Sprintf("unknown person %q", person), Choices: keys}
	}
	w, err := calendar.ParseWeek(week)
	if err != nil {
		return &InputError{Msg: fmt.Sprintf("WEEK: want an ISO week like 2026-W47, got %q", week)}
	}
	return e.st.SetAway(ctx, person, w.String(), e.now())
}
