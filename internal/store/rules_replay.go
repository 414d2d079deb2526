package store

import (
	"cmp"
	"context"
	"maps"
	"slices"
)

// Replay is a rebuild's replay of every stored event as one bulk operation
// (ADR 60). It takes the same calls as KRTx, event by event in stored
// order (AddMatches, UpsertIssue, SetIssueScope), applies them to an
// in-memory copy of the tables they write (matches, sources, links, unit
// groups, issue state, ratio scopes), with the same rules as the per-event
// statements, and Flush writes each table once, in key order, with
// multi-row statements. What it writes is exactly what the per-event calls
// would have written (TestReplayEqualsPerEvent).
//
// It starts from empty tables (after ResetDerived) and keeps no window or
// ratio state: those are computed from the flushed rows when each key
// result is first evaluated, as after any reset.
type Replay struct {
	k       *KRTx
	matches []replayMatch
	sources map[[3]string]struct{}
	krs     map[string]*replayKR
	issues  map[string]*replayIssue
}

type replayMatch struct {
	krKey, eventID, unit, ruleVersion string
	at                                int64
	value                             *float64
}

// replayKR is one key result's unit graph: units matched and their group,
// each group's units, the links recorded and, per unit linked, who links it.
type replayKR struct {
	nodes   map[string]string
	members map[string][]string
	links   map[[2]string]struct{}
	linkers map[string][]string
}

// replayIssue is an issue's issue_state row (times in unix ms) and the
// ratio key results whose scope holds it.
type replayIssue struct {
	st     IssueState
	known  bool // st was applied (a scope may come first: its rows keep their defaults)
	at     int64
	doneAt int64
	scope  []string
}

// Replay returns an empty bulk replay writing through k.
func (k *KRTx) Replay() *Replay {
	return &Replay{k: k, sources: map[[3]string]struct{}{}, krs: map[string]*replayKR{}, issues: map[string]*replayIssue{}}
}

// AddMatches is KRTx.AddMatches, in memory.
func (r *Replay) AddMatches(_ context.Context, ms []MatchRow, links []string) ([]string, error) {
	keys := make([]string, len(ms))
	for i, m := range ms {
		keys[i] = m.KRKey
		r.matches = append(r.matches, replayMatch{krKey: m.KRKey, eventID: m.EventID, unit: m.Unit,
			ruleVersion: m.RuleVersion, at: m.OccurredAt.UnixMilli(), value: m.Value})
		r.sources[[3]string{m.KRKey, m.Source, m.RuleVersion}] = struct{}{}
		r.kr(m.KRKey).group(m.Unit, links)
	}
	return keys, nil
}

func (r *Replay) kr(key string) *replayKR {
	g, ok := r.krs[key]
	if !ok {
		g = &replayKR{nodes: map[string]string{}, members: map[string][]string{},
			links: map[[2]string]struct{}{}, linkers: map[string][]string{}}
		r.krs[key] = g
	}
	return g
}

// group is KRTx.groupUnits on the in-memory graph: unit joins the groups
// of the matched units it links or that link it, the smallest group name
// taking the others in; a unit tied to nothing matched is a group of its
// own.
func (g *replayKR) group(unit string, links []string) {
	links = slices.DeleteFunc(uniq(links), func(l string) bool { return l == unit })
	for _, l := range links {
		if _, ok := g.links[[2]string{unit, l}]; !ok {
			g.links[[2]string{unit, l}] = struct{}{}
			g.linkers[l] = append(g.linkers[l], unit)
		}
	}
	have := map[string]string{}
	related := append(links, g.linkers[unit]...)
	for _, n := range append([]string{unit}, related...) {
		if grp, ok := g.nodes[n]; ok {
			have[n] = grp
		}
	}
	target := unit
	if len(have) > 0 {
		target = slices.Min(slices.Collect(maps.Values(have)))
	}
	for _, grp := range have {
		if grp == target {
			continue
		}
		for _, n := range g.members[grp] {
			g.nodes[n] = target
		}
		g.members[target] = append(g.members[target], g.members[grp]...)
		delete(g.members, grp)
	}
	if _, ok := have[unit]; !ok {
		g.nodes[unit] = target
		g.members[target] = append(g.members[target], unit)
	}
}

// UpsertIssue is KRTx.UpsertIssue, in memory.
func (r *Replay) UpsertIssue(_ context.Context, st IssueState) (bool, error) {
	at, doneAt := st.OccurredAt.UnixMilli(), ms(st.DoneAt)
	was, ok := r.issues[st.Unit]
	if !ok || !was.known {
		r.issues[st.Unit] = &replayIssue{st: st, known: true, at: at, doneAt: doneAt, scope: r.scopeOf(st.Unit)}
		return true, nil
	}
	if at < was.at || (at == was.at && !st.Deleted && was.st.Deleted) {
		return false, nil
	}
	switch {
	case st.StatusCategory != "done":
		doneAt = 0
	case was.st.StatusCategory == "done" && was.doneAt > 0:
		doneAt = was.doneAt
	}
	was.st, was.at, was.doneAt = st, at, doneAt
	return true, nil
}

// SetIssueScope is KRTx.SetIssueScope, in memory (the scope rows take the
// issue's state when flushed).
func (r *Replay) SetIssueScope(_ context.Context, unit string, krKeys []string) ([]string, error) {
	is, ok := r.issues[unit]
	if !ok {
		is = &replayIssue{}
		r.issues[unit] = is
	}
	keys := uniq(append(slices.Clone(is.scope), krKeys...))
	is.scope = uniq(krKeys)
	return keys, nil
}

func (r *Replay) scopeOf(unit string) []string {
	if is, ok := r.issues[unit]; ok {
		return is.scope
	}
	return nil
}

// KeysWithNode is KRView.KeysWithNode, in memory.
func (r *Replay) KeysWithNode(_ context.Context, node string) ([]string, error) {
	var out []string
	for key, g := range r.krs {
		if _, ok := g.nodes[node]; ok || len(g.linkers[node]) > 0 {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out, nil
}

// sortedKeys returns m's keys in byte order (the tables' key order).
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func compareMatch(a, b replayMatch) int {
	return cmp.Or(cmp.Compare(a.krKey, b.krKey), cmp.Compare(a.at, b.at), cmp.Compare(a.eventID, b.eventID))
}
