package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// change is one key result whose result changed meaningfully.
type change struct {
	Old []byte // the stored result's JSON; nil when there was none
	New rules.Result
}

// refresh re-evaluates keys at now and, for each whose result changed
// meaningfully, saves it, snapshots it and queues its writebacks.
func (e *Engine) refresh(ctx context.Context, tx *store.Tx, k *store.KRTx, keys []string, now time.Time) ([]change, error) {
	var changes []change
	view, incr := k.View(), k
	if e.reference {
		incr = nil
	}
	for _, key := range keys {
		r, ok := e.set.Rule(key)
		if !ok {
			continue
		}
		res, err := e.evaluate(ctx, view, incr, r, now)
		if err != nil {
			return nil, err
		}
		c, err := e.save(ctx, tx, k, res, targets(r.KR), now)
		if err != nil {
			return nil, err
		}
		if c != nil {
			changes = append(changes, *c)
		}
	}
	return changes, nil
}

// save stores res if it differs meaningfully from the stored result (time
// alone is not a change), with a snapshot and its writebacks to to.
func (e *Engine) save(ctx context.Context, tx *store.Tx, k *store.KRTx, res rules.Result, to []outbox.Target, now time.Time) (*change, error) {
	fp, err := fingerprint(res, to)
	if err != nil {
		return nil, err
	}
	var old []byte
	prev, err := k.View().State(ctx, res.KRKey)
	switch {
	case store.IsNotFound(err):
	case err != nil:
		return nil, err
	case prev.Fingerprint == fp:
		return nil, nil
	default:
		old = prev.Result
	}
	body, err := encodeState(res)
	if err != nil {
		return nil, err
	}
	if err := k.SaveState(ctx, res.KRKey, fp, body, now); err != nil {
		return nil, err
	}
	if err := k.InsertSnapshot(ctx, snapshotOf(res, now)); err != nil {
		return nil, err
	}
	payload, err := updateOf(res).Encode()
	if err != nil {
		return nil, err
	}
	for _, target := range to {
		w := store.Write{Target: target, KRKey: res.KRKey, Payload: payload}
		if err := tx.EnqueueWrite(ctx, w, now); err != nil {
			return nil, err
		}
	}
	return &change{Old: old, New: res}, nil
}

// fingerprint identifies a result up to its time-only fields (when it was
// evaluated, the pace expected at that moment), with the targets it is
// written to: a key result pointed at another page is written there.
func fingerprint(res rules.Result, to []outbox.Target) (string, error) {
	res.EvaluatedAt = time.Time{}
	res.Pace = 0
	b, err := json.Marshal(res)
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", res.KRKey, err)
	}
	for _, t := range to {
		b = fmt.Appendf(b, "\n%s", t)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16]), nil
}

func snapshotOf(res rules.Result, now time.Time) store.Snapshot {
	return store.Snapshot{
		KRKey: res.KRKey, At: now, Current: res.Current, Progress: res.Progress, Score: res.Score,
		Status: res.Status, NoData: res.NoData, EvidenceTotal: res.EvidenceTotal, RuleVersion: res.RuleVersion,
	}
}

// targets are where a key result is written: the writeback wiring reads
// them from its configuration; results do not carry them.
func targets(kr rules.KeyResult) []outbox.Target {
	var out []outbox.Target
	if kr.NotionPage != "" {
		out = append(out, outbox.NotionPage(kr.NotionPage))
	}
	if kr.LinearProject != "" {
		out = append(out, outbox.LinearProject(kr.LinearProject))
	}
	if kr.LinearInitiative != "" {
		out = append(out, outbox.LinearInitiative(kr.LinearInitiative))
	}
	if kr.AsanaGoal != "" {
		out = append(out, outbox.AsanaGoal(kr.AsanaGoal))
	}
	return out
}

// evaluate gathers a key result's inputs and computes its result at now:
// from k's incremental state, or with k nil from view by the reference
// queries (the two give the same result). While a source it depends on is
// failing, stale freezes the value: the result keeps the value of its last
// stored result (rules.Rule.Frozen) rather than recompute it from events the
// outage left incomplete.
func (e *Engine) evaluate(ctx context.Context, view store.KRView, k *store.KRTx, r *rules.Rule, now time.Time) (rules.Result, error) {
	in, err := e.inputs(ctx, view, k, r, now)
	if err != nil {
		return rules.Result{}, fmt.Errorf("evaluate %s: %w", r.Key, err)
	}
	if len(in.StaleSources) == 0 {
		return r.Evaluate(in, now), nil
	}
	last, err := lastResult(ctx, view, r.Key)
	if err != nil {
		return rules.Result{}, fmt.Errorf("evaluate %s: %w", r.Key, err)
	}
	return r.Frozen(last, in.StaleSources, now), nil
}

// lastResult is krKey's stored result, nil when there is none. The stored
// result is the last one computed with healthy sources, or one frozen from
// it: a stale result is saved only as Frozen makes it.
func lastResult(ctx context.Context, view store.KRView, krKey string) (*rules.Result, error) {
	st, err := view.State(ctx, krKey)
	switch {
	case store.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, err
	}
	res, err := DecodeState(st.Result)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

func (e *Engine) inputs(ctx context.Context, view store.KRView, k *store.KRTx, r *rules.Rule, now time.Time) (rules.Inputs, error) {
	in := rules.Inputs{}
	in.From, in.To = r.WindowAt(now)
	done, err := false, error(nil)
	if k != nil {
		if done, err = e.incrementalInputs(ctx, k, r, &in); err != nil {
			return in, err
		}
	}
	switch {
	case done:
	case r.Type == rules.TypeRatio:
		err = e.ratioInputs(ctx, view, r, &in)
	case r.Type == rules.TypeManual:
		err = e.manualInputs(ctx, view, r, now, &in)
	case r.Type == rules.TypeMetric && r.Aggregate == rules.AggChangeFailureRate:
		err = e.rateInputs(ctx, view, r, &in)
	case isValueMetric(r):
		err = e.metricInputs(ctx, view, r, &in)
	default:
		err = e.countInputs(ctx, view, r, &in)
	}
	if err != nil {
		return in, err
	}
	if r.Type != rules.TypeManual {
		blocked, err := view.BlockedIssues(ctx, r.Key)
		if err != nil {
			return in, err
		}
		for _, b := range blocked {
			in.Blocked = append(in.Blocked, issueEvidence(b, r.Version, false))
		}
	}
	in.StaleSources, err = e.staleSources(ctx, view, r)
	return in, err
}

func (e *Engine) countInputs(ctx context.Context, view store.KRView, r *rules.Rule, in *rules.Inputs) error {
	n, first, err := view.CountUnits(ctx, r.Key, in.From, in.To)
	if err != nil {
		return err
	}
	rows, err := view.Units(ctx, store.UnitQuery{KRKey: r.Key, From: in.From, To: in.To,
		Oldest: r.Type == rules.TypeMilestone, Limit: e.evidenceLimit})
	if err != nil {
		return err
	}
	in.Count, in.ReachedAt, in.EvidenceTotal = n, first, n
	in.Evidence = e.unitEvidence(rows)
	return nil
}

func (e *Engine) metricInputs(ctx context.Context, view store.KRView, r *rules.Rule, in *rules.Inputs) error {
	rows, err := view.Units(ctx, store.UnitQuery{KRKey: r.Key, From: in.From, To: in.To, WithValue: true, Oldest: true})
	if err != nil {
		return err
	}
	in.Values = make([]float64, len(rows))
	for i, row := range rows {
		in.Values[i] = *row.Value
	}
	newest := slices.Clone(rows)
	slices.Reverse(newest)
	if len(newest) > e.evidenceLimit {
		newest = newest[:e.evidenceLimit]
	}
	in.Evidence, in.EvidenceTotal = e.unitEvidence(newest), len(rows)
	return nil
}

// rateInputs computes a change failure rate from the events the key result
// matched in the window; its evidence is every deploy, failed or not.
func (e *Engine) rateInputs(ctx context.Context, view store.KRView, r *rules.Rule, in *rules.Inputs) error {
	evs, err := view.MatchedEvents(ctx, r.Key, in.From, in.To)
	if err != nil {
		return err
	}
	rate := r.ChangeFailureRate(evs)
	in.Rate, in.EvidenceTotal = &rate, rate.Deploys
	in.Evidence = rate.Evidence[:min(len(rate.Evidence), e.evidenceLimit)]
	return nil
}

func (e *Engine) ratioInputs(ctx context.Context, view store.KRView, r *rules.Rule, in *rules.Inputs) error {
	c, err := view.RatioCounts(ctx, r.Key)
	if err != nil {
		return err
	}
	issues, err := view.ScopeIssues(ctx, r.Key, e.evidenceLimit)
	if err != nil {
		return err
	}
	in.Done, in.Total, in.Canceled, in.EvidenceTotal = c.Done, c.Total, c.Canceled, c.Total
	for _, is := range issues {
		in.Evidence = append(in.Evidence, issueEvidence(is, r.Version, true))
	}
	return nil
}

// manualInputs: the value is the latest one set; every value set is an
// evidence item (who, when, the value and the note), newest first, so
// the history of a manual key result is kept. With none set, the config's
// value counts.
func (e *Engine) manualInputs(ctx context.Context, view store.KRView, r *rules.Rule, now time.Time, in *rules.Inputs) error {
	history, err := view.ManualHistory(ctx, r.Key, now)
	if err != nil {
		return err
	}
	if len(history) == 0 {
		if r.KR.Value != nil {
			v := *r.KR.Value
			in.Manual = &v
			in.Evidence = []rules.Evidence{{Unit: r.Key, Kind: "manual", Title: "value from the config", Value: &v, RuleVersion: r.Version}}
			in.EvidenceTotal = 1
		}
		return nil
	}
	latest := history[0].Value
	in.Manual = &latest
	for _, mv := range history {
		v := mv.Value
		title := "set by " + firstNonEmpty(mv.SetBy, "someone")
		if mv.Note != "" {
			title += ": " + mv.Note
		}
		in.Evidence = append(in.Evidence, rules.Evidence{Unit: r.Key, Kind: "manual",
			Title: title, Actor: mv.SetBy, OccurredAt: mv.SetAt, Value: &v, RuleVersion: r.Version})
	}
	in.EvidenceTotal = len(history)
	return nil
}

// staleSources are the failing sources r depends on (a source is failing
// while the store records its outage, see RecordPoll, or while Health says
// so): those its expression
// requires, or else those its data came from. A key result with no data at
// all depends on the sources that produce the kinds it requires (any source
// when it names no kind): with one of them failing, "no data" may only mean
// "not fetched", which must show as stale, never as zero or red. Manual key
// results depend on none. The store is asked only about failing sources,
// except to learn whether the key result has any data.
func (e *Engine) staleSources(ctx context.Context, view store.KRView, r *rules.Rule) ([]string, error) {
	if r.Type == rules.TypeManual {
		return nil, nil
	}
	down, err := view.Outages(ctx)
	if err != nil {
		return nil, err
	}
	isDown := func(s string) bool {
		_, ok := down[s]
		return ok || e.health.Failing(s)
	}
	if r.Sources != nil {
		return failingOf(isDown, r.Sources), nil
	}
	failing := failingOf(isDown, sourceNames())
	if len(failing) == 0 {
		return nil, nil
	}
	out, err := e.sourcesWithData(ctx, view, r, failing)
	if err != nil || len(out) > 0 {
		return out, err
	}
	any, err := e.sourcesWithData(ctx, view, r, sourceNames())
	if err != nil || len(any) > 0 {
		return nil, err
	}
	return failingOf(isDown, sourcesOfKinds(r.Kinds)), nil
}

// sourcesWithData are those of sources that r's data (matches, or issues in
// a ratio's scope) came from.
func (e *Engine) sourcesWithData(ctx context.Context, view store.KRView, r *rules.Rule, sources []string) ([]string, error) {
	var out []string
	for _, s := range sources {
		var has bool
		var err error
		if r.Type == rules.TypeRatio {
			has, err = view.ScopeHasSource(ctx, r.Key, s)
		} else {
			has, err = view.MatchesHaveSource(ctx, r.Key, s)
		}
		if err != nil {
			return nil, err
		}
		if has {
			out = append(out, s)
		}
	}
	return out, nil
}

// sourcesOfKinds are the sources that emit events of the given kinds (every
// source for nil or an unknown kind).
func sourcesOfKinds(kinds []string) []string {
	seen := map[string]bool{}
	for _, k := range kinds {
		noun, _, _ := strings.Cut(k, ".")
		switch noun {
		case "pull_request", "change":
			seen[event.SourceGitHub], seen[event.SourceGitLab] = true, true
		case "release":
			seen[event.SourceGitHub] = true
		case "deployment":
			seen[event.SourceGitHub], seen[event.SourceGitLab], seen[event.SourceDeploy] = true, true, true
		case "incident":
			seen[event.SourcePagerDuty], seen[event.SourceIncidentIO] = true, true
		case "issue", "project":
			for _, s := range []string{event.SourceJira, event.SourceLinear, event.SourceAsana, event.SourceTrello} {
				seen[s] = true
			}
		default:
			return sourceNames()
		}
	}
	if len(seen) == 0 {
		return sourceNames()
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// failingOf are those of sources that are down.
func failingOf(down func(string) bool, sources []string) []string {
	var out []string
	for _, s := range sources {
		if down(s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// sourceNames are the sources connectors publish from.
func sourceNames() []string {
	return []string{event.SourceAsana, event.SourceDeploy, event.SourceGitHub, event.SourceGitLab, event.SourceIncidentIO,
		event.SourceJira, event.SourceLinear, event.SourcePagerDuty, event.SourceTrello}
}

// unitEvidence shows matched units as evidence; each actor handle is
// mapped to its person, as the directory stands now.
func (e *Engine) unitEvidence(rows []store.UnitRow) []rules.Evidence {
	out := make([]rules.Evidence, 0, len(rows))
	for _, row := range rows {
		out = append(out, rules.Evidence{
			EventID: row.EventID, Unit: row.Unit, Kind: row.Kind, Title: row.Title, URL: row.URL,
			Actor: e.actorKey(row.Source, row.ActorHandle), OccurredAt: row.OccurredAt, Value: row.Value, RuleVersion: row.RuleVersion,
		})
	}
	return out
}

func issueEvidence(is store.IssueState, version string, withValue bool) rules.Evidence {
	ev := rules.Evidence{EventID: is.EventID, Unit: is.Unit, Kind: is.Kind, Title: is.Title, URL: is.URL,
		Actor: is.Actor, OccurredAt: is.OccurredAt, RuleVersion: version}
	if withValue {
		v := 0.0
		if is.StatusCategory == "done" {
			v = 1
		}
		ev.Value = &v
	}
	return ev
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
