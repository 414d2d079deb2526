package engine

import (
	"context"
	"sort"
	"strings"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
)

// keySet collects the key results a batch touched.
type keySet map[string]bool

func (s keySet) add(keys ...string) {
	for _, k := range keys {
		s[k] = true
	}
}

func (s keySet) sorted() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// match maps ev's actor to a person and finds the rules ev matches. It does
// no I/O.
func (e *Engine) match(ev *event.Event) []rules.Match {
	e.identify(ev)
	return e.set.Match(ev, e.teamOf(ev.Actor), func(r *rules.Rule, err error) {
		e.log.Debug("rule failed on event", "kr", r.Key, "event", ev.ID, "err", err)
	})
}

// recorder is where record writes what an event means: a transaction's
// key-result writer (store.KRTx), or a rebuild's store.Replay, which takes
// every stored event the same way and writes the tables in bulk at the end.
// Each call sees the effect of the ones before it; errors are the store's.
type recorder interface {
	AddMatches(ctx context.Context, ms []store.MatchRow, links []string) ([]string, error)
	UpsertIssue(ctx context.Context, st store.IssueState) (bool, error)
	SetIssueScope(ctx context.Context, unit string, krKeys []string) ([]string, error)
	KeysWithNode(ctx context.Context, unit string) ([]string, error)
}

// record writes what one new event means for the key results: a match row
// and unit grouping for every count, milestone and metric rule it matched,
// and for an issue event the issue's state and which ratio scopes hold it.
// The key results it touched are added to touched; a replay, which
// re-evaluates everything, passes nil.
//
// A deletion (issue.deleted) leaves a tombstone as the issue's state, which
// takes it out of every ratio scope. It retracts no match: count, milestone
// and metric key results count facts that happened, so an issue completed
// and then deleted keeps counting as completed, just as a reopened one does
// (matches are never removed). A rule that matches the deletion itself
// (kind == "issue.deleted") counts it like any other event.
func (e *Engine) record(ctx context.Context, k recorder, ev *event.Event, matches []rules.Match, touched keySet) error {
	var scoped []string
	rows := make([]store.MatchRow, 0, len(matches))
	for _, m := range matches {
		r := m.Rule
		if r.Type == rules.TypeRatio {
			scoped = append(scoped, r.Key)
			continue
		}
		if r.Field != "" && m.Value == nil {
			continue // no data point for this metric
		}
		rows = append(rows, matchRow(r, ev, m.Value))
	}
	added, err := k.AddMatches(ctx, rows, unitLinks(ev))
	if err != nil {
		return err
	}
	if touched != nil {
		touched.add(added...)
	}
	if !isIssueState(ev) && !isIssueDeletion(ev) {
		return nil
	}
	return e.applyIssue(ctx, k, ev, scoped, touched)
}

// applyIssue saves an issue event as the issue's state (unless a later state
// is stored), puts the issue in exactly the ratio scopes that matched it (a
// deletion: none), and marks the key results that held, hold or link the
// issue as touched.
func (e *Engine) applyIssue(ctx context.Context, k recorder, ev *event.Event, scoped []string, touched keySet) error {
	if isIssueDeletion(ev) {
		scoped = nil
	}
	applied, err := k.UpsertIssue(ctx, issueState(ev))
	if err != nil || !applied {
		return err // an older state than the one stored changes nothing
	}
	keys, err := k.SetIssueScope(ctx, ev.Unit, scoped)
	if err != nil || touched == nil {
		return err
	}
	touched.add(keys...)
	// Key results whose units include this issue see its blocked flag.
	holders, err := k.KeysWithNode(ctx, ev.Unit)
	if err != nil {
		return err
	}
	touched.add(holders...)
	return nil
}

func matchRow(r *rules.Rule, ev *event.Event, value *float64) store.MatchRow {
	return store.MatchRow{
		KRKey: r.Key, EventID: ev.ID, Unit: unitOf(ev), Source: ev.Source, Kind: ev.Kind,
		OccurredAt: r.At(ev), Value: value, Title: ev.Title, URL: ev.URL,
		ActorHandle: ev.ActorHandle, RuleVersion: r.Version,
	}
}

// actorKey is the person behind a source's actor handle, or the handle.
func (e *Engine) actorKey(source, handle string) string {
	if p, ok := e.dir.Lookup(source, handle); ok {
		return p.Key
	}
	return handle
}

func actorOf(ev *event.Event) string {
	if ev.Actor != "" {
		return ev.Actor
	}
	return ev.ActorHandle
}

// unitOf is the event's unit of work, or the event itself when it names none.
func unitOf(ev *event.Event) string {
	if ev.Unit != "" {
		return ev.Unit
	}
	return ev.ID
}

// unitLinks are the units an event's unit is the same work as: for code
// events such as a merged PR or a shipped change, the issue keys it links.
// An issue's links (its epic, parent, related issues) are hierarchy, not
// the same work, so they tie nothing.
func unitLinks(ev *event.Event) []string {
	if isIssueState(ev) || isIssueDeletion(ev) {
		return nil
	}
	return ev.Links
}

// isIssueState reports whether ev carries an issue's full current state
// (tracker events do: a unit and a status category).
func isIssueState(ev *event.Event) bool { return rules.IsIssueState(ev) }

// isIssueDeletion reports whether ev says an issue was deleted.
func isIssueDeletion(ev *event.Event) bool {
	return ev.Kind == event.KindIssueDeleted && ev.Unit != ""
}

// canceled reports whether a resolution takes an issue out of a ratio
// (neither done nor to do).
func canceled(resolution string) bool {
	switch strings.ToLower(resolution) {
	case "canceled", "cancelled", "won't do", "won't fix", "duplicate", "declined":
		return true
	}
	return false
}

func issueState(ev *event.Event) store.IssueState {
	if isIssueDeletion(ev) {
		return store.IssueState{Unit: ev.Unit, Source: ev.Source, EventID: ev.ID, Kind: ev.Kind,
			OccurredAt: ev.OccurredAt, Title: ev.Title, URL: ev.URL, Actor: actorOf(ev), Deleted: true}
	}
	cat := strings.ToLower(ev.Attrs["status_category"])
	st := store.IssueState{
		Unit: ev.Unit, Source: ev.Source, EventID: ev.ID, Kind: ev.Kind, OccurredAt: ev.OccurredAt,
		StatusCategory: cat,
		Canceled:       canceled(ev.Attrs["resolution"]),
		Blocked:        strings.EqualFold(ev.Attrs["blocked"], "true") || ev.Kind == event.KindIssueBlocked,
		Title:          ev.Title, URL: ev.URL, Actor: actorOf(ev),
	}
	if cat == "done" {
		st.DoneAt = ev.OccurredAt
	}
	return st
}
