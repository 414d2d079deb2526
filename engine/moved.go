package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/rules"
)

// Movement is what happened to one key result between two moments: its
// value then and now, the delta, and the items that moved it.
type Movement struct {
	KRKey        string
	Title        string
	ObjectiveKey string
	Unit         string
	From, To     float64 // values at the two moments (the baseline when no data)
	FromNoData   bool
	ToNoData     bool
	Delta        float64 // To − From
	FromStatus   string
	ToStatus     string
	// Evidence are the items that arrived in [from, to): new matches for
	// count, milestone and metric key results, issues done for ratios, the
	// value set for manual ones. Newest first.
	Evidence []rules.Evidence
}

// Moved says, for every key result in config order, how it moved between
// from and to ("what moved this week"). Count, milestone and metric values
// are recomputed as of each moment from the stored matches, so the delta is
// explained by the evidence; ratio values come from the snapshots (issue
// state history is not kept) and manual values from their history.
func (e *Engine) Moved(ctx context.Context, from, to time.Time) ([]Movement, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("moved: %s is not after %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	view := e.st.KRView()
	var out []Movement
	for _, r := range e.set.Rules() {
		m, err := e.movement(ctx, view, r, from, to)
		if err != nil {
			return nil, fmt.Errorf("moved: %s: %w", r.Key, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func (e *Engine) movement(ctx context.Context, view store.KRView, r *rules.Rule, from, to time.Time) (Movement, error) {
	before, err := e.valueAt(ctx, view, r, from)
	if err != nil {
		return Movement{}, err
	}
	after, err := e.valueAt(ctx, view, r, to)
	if err != nil {
		return Movement{}, err
	}
	m := Movement{
		KRKey: r.Key, Title: r.KR.Title, ObjectiveKey: r.ObjectiveKey, Unit: after.Unit,
		From: before.Current, To: after.Current, FromNoData: before.NoData, ToNoData: after.NoData,
		Delta: round4(after.Current - before.Current), FromStatus: before.Status, ToStatus: after.Status,
	}
	m.Evidence, err = e.movedEvidence(ctx, view, r, from, to)
	return m, err
}

// valueAt is the key result's result as of t. For a past t its blocked
// items are those blocked then, read from the stored issue events (see
// blockedAt).
func (e *Engine) valueAt(ctx context.Context, view store.KRView, r *rules.Rule, t time.Time) (rules.Result, error) {
	if r.Type != rules.TypeRatio || !t.Before(e.now()) {
		in, err := e.inputs(ctx, view, nil, r, t)
		if err != nil {
			return rules.Result{}, err
		}
		in.StaleSources = nil
		if t.Before(e.now()) && r.Type != rules.TypeManual {
			if in.Blocked, err = e.blockedAt(ctx, view, r, t); err != nil {
				return rules.Result{}, err
			}
		}
		return r.Evaluate(in, t), nil
	}
	s, err := view.SnapshotAt(ctx, r.Key, t)
	switch {
	case store.IsNotFound(err):
		// No snapshot yet at t: the history predates goalpost (a backfill).
		in, err := ratioFromEventsAt(ctx, view, r, t)
		if err != nil {
			return rules.Result{}, err
		}
		if in.Total+in.Canceled == 0 {
			return r.Evaluate(rules.Inputs{}, t), nil // nothing known yet: no data
		}
		if in.Blocked, err = e.blockedAt(ctx, view, r, t); err != nil {
			return rules.Result{}, err
		}
		return r.Evaluate(in, t), nil
	case err != nil:
		return rules.Result{}, err
	}
	blocked, err := e.blockedAt(ctx, view, r, t)
	if err != nil {
		return rules.Result{}, err
	}
	res := r.Evaluate(rules.Inputs{Blocked: blocked}, t)
	res.Current, res.Progress, res.Score, res.Status, res.NoData = s.Current, s.Progress, s.Score, s.Status, s.NoData
	return res, nil
}

// blockedAt are the items tied to r that were flagged blocked, and not
// done, canceled or deleted, at t: each issue's state as of t is folded
// from its stored events before t as the store applies them (a later event
// wins; at the same moment a deletion wins, else the one stored last). The
// issues are those tied to r now (an issue that joined its scope after t
// counts with its state then). Newest first, as BlockedIssues.
func (e *Engine) blockedAt(ctx context.Context, view store.KRView, r *rules.Rule, t time.Time) ([]rules.Evidence, error) {
	states, err := issueStatesAt(ctx, view, r, t)
	if err != nil {
		return nil, err
	}
	states = slices.DeleteFunc(states, func(st store.IssueState) bool {
		return !st.Blocked || st.StatusCategory == "done" || st.Canceled || st.Deleted
	})
	slices.SortStableFunc(states, func(a, b store.IssueState) int {
		return cmp.Or(b.OccurredAt.Compare(a.OccurredAt), cmp.Compare(a.Unit, b.Unit))
	})
	out := make([]rules.Evidence, 0, len(states))
	for _, st := range states {
		out = append(out, issueEvidence(st, r.Version, false))
	}
	return out, nil
}

// issueStatesAt is each issue tied to r as of t, one per unit: folded from
// its stored events before t as the store applies them (a later event wins;
// at the same moment a deletion wins, else the one stored last).
func issueStatesAt(ctx context.Context, view store.KRView, r *rules.Rule, t time.Time) ([]store.IssueState, error) {
	evs, err := view.IssueEventsBefore(ctx, r.Key, t)
	if err != nil {
		return nil, err
	}
	var states []store.IssueState
	for i := range evs {
		ev := &evs[i]
		if !isIssueState(ev) && !isIssueDeletion(ev) {
			continue
		}
		st := issueState(ev)
		n := len(states)
		switch {
		case n == 0 || states[n-1].Unit != st.Unit:
			states = append(states, st)
		case !st.OccurredAt.Equal(states[n-1].OccurredAt) || st.Deleted || !states[n-1].Deleted:
			states[n-1] = st
		}
	}
	return states, nil
}

// ratioFromEventsAt is a ratio's inputs as of t folded from the stored
// issue events, for a moment before goalpost kept any snapshot of it (the
// history a backfill brought): counted as RatioCounts counts the live
// state, done ones as evidence, latest change first.
func ratioFromEventsAt(ctx context.Context, view store.KRView, r *rules.Rule, t time.Time) (rules.Inputs, error) {
	states, err := issueStatesAt(ctx, view, r, t)
	if err != nil {
		return rules.Inputs{}, err
	}
	var in rules.Inputs
	var done []store.IssueState
	for _, st := range states {
		switch {
		case st.Deleted:
		case st.Canceled:
			in.Canceled++
		default:
			in.Total++
			if st.StatusCategory == "done" {
				in.Done++
				done = append(done, st)
			}
		}
	}
	slices.SortStableFunc(done, func(a, b store.IssueState) int { return b.OccurredAt.Compare(a.OccurredAt) })
	for _, st := range done {
		in.Evidence = append(in.Evidence, issueEvidence(st, r.Version, true))
	}
	in.EvidenceTotal = in.Total
	return in, nil
}

func (e *Engine) movedEvidence(ctx context.Context, view store.KRView, r *rules.Rule, from, to time.Time) ([]rules.Evidence, error) {
	switch r.Type {
	case rules.TypeManual:
		mv, err := view.Manual(ctx, r.Key, to)
		if store.IsNotFound(err) || (err == nil && mv.SetAt.Before(from)) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		v := mv.Value
		return []rules.Evidence{{Unit: r.Key, Kind: "manual", Title: "set by " + firstNonEmpty(mv.SetBy, "someone"),
			Actor: mv.SetBy, OccurredAt: mv.SetAt, Value: &v, RuleVersion: r.Version}}, nil
	case rules.TypeRatio:
		issues, err := view.ScopeIssues(ctx, r.Key, 0)
		if err != nil {
			return nil, err
		}
		var out []rules.Evidence
		for _, is := range issues {
			if !is.DoneAt.IsZero() && !is.DoneAt.Before(from) && is.DoneAt.Before(to) {
				out = append(out, issueEvidence(is, r.Version, true))
			}
		}
		return out, nil
	}
	wFrom, wTo := r.WindowAt(to)
	if wFrom.Before(from) {
		wFrom = from
	}
	if !wTo.After(wFrom) {
		return nil, nil
	}
	rows, err := view.Units(ctx, store.UnitQuery{KRKey: r.Key, From: wFrom, To: wTo,
		WithValue: r.Type == rules.TypeMetric && r.Field != ""})
	if err != nil {
		return nil, err
	}
	return e.unitEvidence(rows), nil
}

func round4(v float64) float64 {
	const p = 1e4
	if v < 0 {
		return -float64(int64(-v*p+0.5)) / p
	}
	return float64(int64(v*p+0.5)) / p
}

// ResultsAt returns every key result as it stood at at, in config order:
// Results when at is not in the past; otherwise each value is computed as
// of at as Moved computes its "from" and "to" (counts, milestones and
// metrics from the stored matches, ratios from the snapshots, manual values
// from their history), so a closed week's report reads the same on every
// later request.
func (e *Engine) ResultsAt(ctx context.Context, at time.Time) ([]rules.Result, error) {
	e.mu.Lock()
	past := at.Before(e.clock())
	e.mu.Unlock()
	if !past {
		return e.Results(ctx)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	view := e.st.KRView()
	out := make([]rules.Result, 0, len(e.set.Rules()))
	for _, r := range e.set.Rules() {
		res, err := e.valueAt(ctx, view, r, at)
		if err != nil {
			return nil, fmt.Errorf("results at %s: %s: %w", at.Format(time.RFC3339), r.Key, err)
		}
		out = append(out, res)
	}
	return out, nil
}

// History returns a key result's snapshots in [from, to), oldest first: one
// per meaningful change of its result (for charts).
func (e *Engine) History(ctx context.Context, krKey string, from, to time.Time) ([]store.Snapshot, error) {
	if _, ok := e.set.Rule(krKey); !ok {
		return nil, fmt.Errorf("history: unknown key result %q", krKey)
	}
	return e.st.KRView().Snapshots(ctx, krKey, from, to)
}
