package engine

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/rules"
)

// Explain prints why a key result stands where it does: the value, the
// formula with the numbers filled in, the status and why, and every item
// behind the value (with the rule version that matched it). With itemURL (a
// URL, or a unit key such as AUTH-123 or acme/api#12) it also says whether
// and why that item did or did not count.
func (e *Engine) Explain(ctx context.Context, krKey, itemURL string, w io.Writer) error {
	r, ok := e.set.Rule(krKey)
	if !ok {
		return e.unknownKR(krKey, "")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock()
	view := e.st.KRView()
	var evs []event.Event
	if itemURL != "" {
		var err error
		if evs, err = e.st.EventsByItem(ctx, itemURL); err != nil {
			return fmt.Errorf("explain: %w", err)
		}
		if len(evs) == 0 {
			return e.unknownItem(ctx, view, r, itemURL)
		}
	}
	res, err := e.evaluate(ctx, view, nil, r, now)
	if err != nil {
		return fmt.Errorf("explain: %w", err)
	}
	ww := present.NewWrapWriter(w) // long rules, formulas and evidence lines wrap at present.Width
	defer ww.Flush()
	p := &printer{w: ww}
	explainHeader(p, r, res)
	if err := e.explainEvidence(ctx, p, view, r, res, now); err != nil {
		return fmt.Errorf("explain: %w", err)
	}
	if itemURL != "" {
		if err := e.explainItem(ctx, p, view, r, itemURL, evs, now); err != nil {
			return fmt.Errorf("explain: %w", err)
		}
	}
	return p.err
}

func explainHeader(p *printer, r *rules.Rule, res rules.Result) {
	p.f("%s — %s\n", r.Key, res.Title)
	p.f("objective: %s — %s", r.ObjectiveKey, r.ObjectiveTitle)
	if res.Owner != "" {
		p.f(" · owner %s", res.Owner)
	}
	if res.Team != "" {
		p.f(" · team %s", res.Team)
	}
	p.f("\nperiod:    %s → %s (%s)\n", day(r.Start), day(r.End.Add(-time.Nanosecond)), r.Location)
	p.f("type:      %s%s\n", r.Type, typeDetail(r))
	if r.KR.Match != "" {
		p.f("rule:      %s\n", r.KR.Match)
	}
	if r.KR.Scope != "" {
		p.f("scope:     %s\n", r.KR.Scope)
	}
	p.f("version:   %s\n", r.Version)
	p.f("value:     %s (baseline %s, target %s, %s)\n", value(res), present.Number(res.Baseline), present.Number(res.Target), res.Direction)
	p.f("formula:   %s\n", res.Formula)
	p.f("grade:     %s\n", grade(r, res))
	p.f("status:    %s — %s\n", present.Status(res.Status), r.StatusReason(res))
}

// grade is the key result's grade, given once its period has ended (as the
// quarter report grades only a finished quarter, ADR 42); while it runs, the
// grade it would get if it ended now.
func grade(r *rules.Rule, res rules.Result) string {
	if res.EvaluatedAt.Before(r.End) {
		return fmt.Sprintf("none yet, the period ends %s (%s if it ended now)", day(r.End.Add(-time.Nanosecond)), res.Grade)
	}
	return res.Grade
}

func typeDetail(r *rules.Rule) string {
	if r.Type == rules.TypeCount && !r.Window.IsPeriod() {
		return " (" + present.Window(r.Window) + ")"
	}
	if r.Type != rules.TypeMetric {
		return ""
	}
	s := " (" + r.Aggregate
	if r.Field != "" {
		s += " of " + r.Field
	}
	if !r.Window.IsPeriod() {
		s += ", " + present.Window(r.Window)
	}
	return s + ")"
}

func (e *Engine) explainEvidence(ctx context.Context, p *printer, view store.KRView, r *rules.Rule, res rules.Result, now time.Time) error {
	if len(res.StaleSources) > 0 {
		explainFrozen(p, r, res)
		return nil
	}
	var items []rules.Evidence
	switch r.Type {
	case rules.TypeManual:
		items = res.Evidence
	case rules.TypeRatio:
		issues, err := view.ScopeIssues(ctx, r.Key, 0)
		if err != nil {
			return err
		}
		for _, is := range issues {
			items = append(items, issueEvidence(is, r.Version, true))
		}
	default:
		return e.explainUnits(ctx, p, view, r, res, now)
	}
	p.f("evidence (%d):\n", len(items))
	for _, it := range items {
		p.f("  %s\n", evidenceLine(it, r.Location))
	}
	explainBlocked(p, r, res)
	return nil
}

// explainUnits lists every counted unit of a count, milestone or metric key
// result, with all of its matching events in the window.
func (e *Engine) explainUnits(ctx context.Context, p *printer, view store.KRView, r *rules.Rule, res rules.Result, now time.Time) error {
	from, to := r.WindowAt(now)
	p.f("window:    %s → %s\n", stamp(from, r.Location), stamp(to, r.Location))
	reps, err := view.Units(ctx, store.UnitQuery{KRKey: r.Key, From: from, To: to,
		WithValue: r.Type == rules.TypeMetric && r.Field != "", Oldest: true})
	if err != nil {
		return err
	}
	all, err := view.Matches(ctx, r.Key)
	if err != nil {
		return err
	}
	members := map[string][]store.UnitRow{}
	for _, m := range all {
		if !m.OccurredAt.Before(from) && m.OccurredAt.Before(to) {
			members[m.Group] = append(members[m.Group], m)
		}
	}
	p.f("evidence (%s):\n", present.Count(len(reps), "unit"))
	for _, u := range reps {
		p.f("  %s\n", evidenceLine(e.unitEvidence([]store.UnitRow{u})[0], r.Location))
		for _, m := range members[u.Group] {
			if m.EventID != u.EventID {
				p.f("      same unit: %s %s %s (event %s)\n", stamp(m.OccurredAt, r.Location), m.Kind, m.Unit, m.EventID)
			}
		}
	}
	explainBlocked(p, r, res)
	return nil
}

// explainFrozen lists the evidence of a stale key result: that of the
// frozen value (the newest items, as the result carries them), not what is
// stored in the window now.
func explainFrozen(p *printer, r *rules.Rule, res rules.Result) {
	p.f("evidence (%d of %d, kept from the last evaluation with healthy sources):\n", len(res.Evidence), res.EvidenceTotal)
	for _, it := range res.Evidence {
		p.f("  %s\n", evidenceLine(it, r.Location))
	}
	explainBlocked(p, r, res)
}

func explainBlocked(p *printer, r *rules.Rule, res rules.Result) {
	if len(res.Blocked) > 0 {
		p.f("blocked (%d):\n", len(res.Blocked))
		for _, it := range res.Blocked {
			p.f("  %s\n", evidenceLine(it, r.Location))
		}
	}
}

func evidenceLine(it rules.Evidence, loc *time.Location) string {
	when := "-"
	if !it.OccurredAt.IsZero() {
		when = stamp(it.OccurredAt, loc)
	}
	parts := []string{when, it.Unit}
	if it.Kind != "" {
		parts = append(parts, it.Kind)
	}
	if it.Title != "" {
		parts = append(parts, fmt.Sprintf("%q", it.Title))
	}
	if it.Actor != "" {
		parts = append(parts, "by "+it.Actor)
	}
	if it.Value != nil {
		parts = append(parts, "value "+present.Number(*it.Value))
	}
	if it.URL != "" {
		parts = append(parts, it.URL)
	}
	if it.RuleVersion != "" {
		parts = append(parts, "[rule "+it.RuleVersion+"]")
	}
	return strings.Join(parts, "  ")
}

// unknownItem is the error for an item no stored event is about, naming a
// few of the key result's own items as examples of what --item takes.
func (e *Engine) unknownItem(ctx context.Context, view store.KRView, r *rules.Rule, item string) error {
	err := &InputError{Msg: fmt.Sprintf("--item: no stored event has the URL or unit %q: goalpost has not seen it (is its source connected and polled?)", item)}
	res, rerr := e.evaluate(ctx, view, nil, r, e.clock())
	if rerr != nil {
		return err
	}
	for _, ev := range res.Evidence {
		if len(err.Choices) == 3 {
			break
		}
		err.Choices = append(err.Choices, firstNonEmpty(ev.URL, ev.Unit))
	}
	err.Label = "items of " + r.Key + " include"
	return err
}

// explainItem says, for every stored event about the item, whether the rule
// matched it and whether it counted.
func (e *Engine) explainItem(ctx context.Context, p *printer, view store.KRView, r *rules.Rule, item string, evs []event.Event, now time.Time) error {
	p.f("\nitem %s:\n", item)
	matches, err := view.Matches(ctx, r.Key)
	if err != nil {
		return err
	}
	for i := range evs {
		ev := &evs[i]
		e.identify(ev)
		p.f("  %s %s at %s (event %s):\n    %s\n", ev.Source, ev.Kind, stamp(ev.OccurredAt, r.Location), ev.ID,
			e.itemVerdict(ctx, view, r, ev, matches, now))
	}
	return nil
}

func (e *Engine) itemVerdict(ctx context.Context, view store.KRView, r *rules.Rule, ev *event.Event, matches []store.UnitRow, now time.Time) string {
	if r.Type == rules.TypeRatio && isIssueDeletion(ev) {
		return e.ratioVerdict(ctx, view, r, ev) // a deletion matches no ratio rule, yet ends the issue's part in it
	}
	ok, why := e.set.Why(r, rules.NewEnv(ev, e.teamOf(ev.Actor)))
	if !ok {
		return "not counted: " + why
	}
	if r.Type == rules.TypeRatio {
		return e.ratioVerdict(ctx, view, r, ev)
	}
	if r.Field != "" && !hasNumber(ev, r.Field) {
		return fmt.Sprintf("not counted: the rule matches, but the event has no %s value", r.Field)
	}
	i := slices.IndexFunc(matches, func(m store.UnitRow) bool { return m.EventID == ev.ID })
	if i < 0 {
		return "the rule matches, but the stored state predates this rule: run goalpost rebuild"
	}
	from, to := r.WindowAt(now)
	if at := r.At(ev); at.Before(from) || !at.Before(to) {
		what := "it happened"
		if r.KR.WindowOn == rules.WindowOnCreated {
			what = "it was created" // window_on = "created_at"
		}
		return fmt.Sprintf("not counted: matched, but %s outside the window %s → %s", what, stamp(from, r.Location), stamp(to, r.Location))
	}
	var same []string
	for _, m := range matches {
		if m.Group == matches[i].Group && m.EventID != ev.ID {
			same = append(same, m.Kind+" "+m.Unit)
		}
	}
	if len(same) == 0 {
		return fmt.Sprintf("counted: matched (rule %s) as unit %s", matches[i].RuleVersion, matches[i].Unit)
	}
	return fmt.Sprintf("counted once: matched (rule %s) as part of unit %s, together with %s",
		matches[i].RuleVersion, matches[i].Group, strings.Join(same, ", "))
}

func (e *Engine) ratioVerdict(ctx context.Context, view store.KRView, r *rules.Rule, ev *event.Event) string {
	in, err := view.InScope(ctx, r.Key, ev.Unit)
	if err != nil {
		return "could not read the scope: " + err.Error()
	}
	st, err := view.Issue(ctx, ev.Unit)
	switch {
	case err != nil:
		return "the rule matches, but no issue state is stored for " + ev.Unit
	case st.Deleted:
		return fmt.Sprintf("not counted: %s was deleted on %s, so it is in no ratio total", ev.Unit, day(st.OccurredAt))
	case st.EventID != ev.ID:
		return fmt.Sprintf("an older state of %s: the ratio uses its latest event (%s at %s)", ev.Unit, st.Kind, day(st.OccurredAt))
	case !in:
		return "the rule matches, but the stored scope predates this rule: run goalpost rebuild"
	case st.Canceled && r.KR.Canceled == rules.CanceledDone:
		return "counted as done: the issue was canceled, and this ratio counts canceled issues done (canceled = \"done\")"
	case st.Canceled && r.KR.Canceled == rules.CanceledOpen:
		return "counted in the ratio as not done: the issue was canceled, and this ratio counts canceled issues open (canceled = \"open\")"
	case st.Canceled:
		return "not counted: the issue was canceled, so it is neither done nor to do"
	case st.StatusCategory == "done":
		return "counted as done in the ratio"
	}
	return "counted in the ratio as not done yet (status " + st.StatusCategory + ")"
}

func hasNumber(ev *event.Event, name string) bool {
	_, ok := ev.Numbers[name]
	return ok
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

func stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "(start)"
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// value formats a result's current value with its unit.
func value(res rules.Result) string {
	if res.NoData {
		return "no data"
	}
	return present.Value(res.Current, res.Unit)
}
