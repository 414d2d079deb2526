package jira

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// categorizer says which status category a status id belongs to.
type categorizer func(statusID string) (category string, ok bool)

// hints are what a webhook adds about a change (issue_event_type_name).
type hints struct{ eventType string }

// transition is what one changelog entry means.
type transition struct {
	started, completed, reopened, blocked bool
	resolution                            string
}

// events returns every fact about st: created, one event per transition in
// the changelog hs (completed, reopened, blocked), and updated for the
// current version. IDs come from the facts (issue id + kind + changelog id,
// or the version's timestamp), never from a delivery, so poll, webhook and
// retries agree. ActorHandle is the reporter's accountId for created and the
// assignee's for every other kind (who did the work, not who clicked the
// transition). Callers drop facts older than their window.
func (m mapper) events(st issueState, hs []apiHistory, cat categorizer, h hints) []event.Event {
	hs = sortedHistories(hs)
	var out []event.Event
	if !st.Created.IsZero() {
		out = append(out, st.base(event.KindIssueCreated, "created", st.Created, st.Reporter))
	}
	var started time.Time
	for _, hi := range hs {
		at := hi.Created.Time
		tr := m.transition(&st, hi, cat, h)
		if tr.started && started.IsZero() {
			started = at
		}
		if tr.completed {
			ev := st.base(event.KindIssueCompleted, "completed:"+hi.ID, at, st.Assignee)
			setSeconds(&ev, "resolution_seconds", st.Created, at)
			setSeconds(&ev, "cycle_seconds", started, at)
			if tr.resolution != "" {
				ev.Attrs["resolution"] = tr.resolution
			}
			out = append(out, ev)
		}
		if tr.reopened {
			out = append(out, st.base(event.KindIssueReopened, "reopened:"+hi.ID, at, st.Assignee))
		}
		if tr.blocked {
			out = append(out, st.base(event.KindIssueBlocked, "blocked:"+hi.ID, at, st.Assignee))
		}
	}
	if !st.Updated.IsZero() && !st.Updated.Equal(st.Created) {
		ms := strconv.FormatInt(st.Updated.UnixMilli(), 10)
		out = append(out, st.base(event.KindIssueUpdated, "updated:"+ms, st.Updated, st.Assignee))
	}
	return out
}

func setSeconds(ev *event.Event, name string, from, to time.Time) {
	if from.IsZero() || to.Before(from) {
		return
	}
	if ev.Numbers == nil {
		ev.Numbers = map[string]float64{}
	}
	ev.Numbers[name] = to.Sub(from).Seconds()
}

// sortedHistories orders a changelog oldest first (search embeds it newest
// first, the changelog endpoint oldest first), by time then numeric id.
func sortedHistories(hs []apiHistory) []apiHistory {
	hs = slices.Clone(hs)
	slices.SortStableFunc(hs, func(a, b apiHistory) int {
		if c := a.Created.Compare(b.Created.Time); c != 0 {
			return c
		}
		ai, _ := strconv.ParseInt(a.ID, 10, 64)
		bi, _ := strconv.ParseInt(b.ID, 10, 64)
		return cmp.Compare(ai, bi)
	})
	return hs
}

// transition classifies one changelog entry. Status changes are classified
// by status category, not workflow names; when the category of the old
// status is unknown (a webhook without the status list) the entry's
// resolution change, statuscategorychangedate and event type decide.
func (m mapper) transition(st *issueState, hi apiHistory, cat categorizer, h hints) transition {
	var tr transition
	resSet, resCleared := false, false
	for _, it := range hi.Items {
		if strings.EqualFold(it.Field, "resolution") {
			tr.resolution = string(it.ToString)
			resSet = it.From == "" && it.ToString != ""
			resCleared = it.FromString != "" && it.ToString == ""
		}
	}
	for _, it := range hi.Items {
		switch {
		case it.Field == "status" || it.FieldID == "status":
			m.statusChange(&tr, st, hi, it, cat, h, resSet, resCleared)
		case (m.flag != "" && it.FieldID == m.flag) || strings.EqualFold(it.Field, FlagFieldName):
			tr.blocked = tr.blocked || it.ToString != ""
		case strings.EqualFold(it.Field, "labels"):
			for _, l := range added(string(it.FromString), string(it.ToString)) {
				tr.blocked = tr.blocked || containsFold(m.cfg.Blocked.Labels, l)
			}
		}
	}
	return tr
}

func (m mapper) statusChange(tr *transition, st *issueState, hi apiHistory, it apiItem, cat categorizer, h hints, resSet, resCleared bool) {
	to, toOK := cat(string(it.To))
	if !toOK && string(it.To) == st.StatusID {
		to, toOK = st.Category, st.Category != ""
	}
	from, fromOK := cat(string(it.From))
	if containsFold(m.cfg.Blocked.Statuses, string(it.ToString)) {
		tr.blocked = true
	}
	if !toOK {
		return
	}
	tr.started = to == catIndeterminate && (!fromOK || from == catNew)
	if fromOK {
		tr.completed = to == catDone && from != catDone
		tr.reopened = from == catDone && to != catDone
		return
	}
	changedNow := !st.CategoryChanged.IsZero() && st.CategoryChanged.Sub(hi.Created.Time).Abs() <= 2*time.Second
	tr.completed = to == catDone && (resSet || changedNow || st.CategoryChanged.IsZero())
	tr.reopened = to != catDone && (resCleared || h.eventType == "issue_reopened")
}

// added returns the words of to that are not in from (labels changelog
// values are space-separated).
func added(from, to string) []string {
	old := strings.Fields(from)
	var out []string
	for _, l := range strings.Fields(to) {
		if !slices.Contains(old, l) {
			out = append(out, l)
		}
	}
	return out
}
