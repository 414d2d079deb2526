package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Matches go in per event with one multi-row statement per table in the
// common case (a new unit, linked to nothing), whatever the number of key
// results the event matched: the statements per event, not per match, are
// what the daemon path pays for in cgo calls and statement steps.

// AddMatches records the matches of one event (one row per key result,
// all with the event's id, unit and time: the caller's promise), ties the unit to the units it
// links (see groupUnits) and applies each match to its key result's
// incremental state, and returns the keys it recorded. Recording a match
// again changes nothing (its row, unit and window state are already there),
// so the statements need not tell which rows were new.
func (k *KRTx) AddMatches(ctx context.Context, ms []MatchRow, links []string) ([]string, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	if err := k.insertMatches(ctx, ms); err != nil {
		return nil, err
	}
	keys := make([]string, len(ms))
	for i, m := range ms {
		keys[i] = m.KRKey
		if err := k.addSource(ctx, m.KRKey, m.Source, m.RuleVersion); err != nil {
			return nil, err
		}
	}
	singles, err := k.insertSingles(ctx, ms, links)
	if err != nil {
		return nil, err
	}
	var entering []pointRow
	for _, m := range ms {
		grp, newGroup := m.Unit, true
		if !singles {
			if grp, newGroup, err = k.groupUnits(ctx, m.KRKey, m.Unit, links); err != nil {
				return nil, err
			}
		}
		p, enters, err := k.track(ctx, m.KRKey, grp, newGroup, m)
		if err != nil {
			return nil, err
		}
		if enters {
			entering = append(entering, p)
		}
	}
	return keys, k.insertPoints(ctx, entering)
}

// insertMatches inserts ms (a row already stored stays as it is). It
// executes rather than queries: a query's rows cost a goroutine each in
// database/sql when the context can be canceled.
func (k *KRTx) insertMatches(ctx context.Context, ms []MatchRow) error {
	args := make([]any, 0, 6*len(ms))
	for _, m := range ms {
		args = append(args, m.KRKey, m.EventID, m.Unit, m.OccurredAt.UnixMilli(), m.Value, m.RuleVersion)
	}
	_, err := k.exec(ctx, k.insertNew()+` kr_matches (kr_key, event_id, unit, occurred_at, value, rule_version)
		VALUES `+tuples(len(ms), 6)+` ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return fmt.Errorf("insert matches of %s: %w", ms[0].EventID, err)
	}
	return nil
}

// insertSingles records the event's links for each key result and adds
// the matches' unit as a group of its own to each, where that is all there
// is to it: the unit is new to the key result, no unit the key result
// matched links to it and it links to none the key result matched. It
// reports whether that held for every key result; if not, each needs
// groupUnits (which finds the rows this added as they are).
func (k *KRTx) insertSingles(ctx context.Context, ms []MatchRow, links []string) (bool, error) {
	unit := ms[0].Unit
	links = slices.DeleteFunc(uniq(links), func(l string) bool { return l == unit })
	if len(links) > 0 {
		args := make([]any, 0, 3*len(ms)*len(links))
		for _, m := range ms {
			for _, l := range links {
				args = append(args, m.KRKey, unit, l)
			}
		}
		if _, err := k.exec(ctx, k.insertNew()+` kr_links (kr_key, a, b) VALUES `+tuples(len(ms)*len(links), 3)+
			` ON CONFLICT DO NOTHING`, args...); err != nil {
			return false, fmt.Errorf("links of %s: %w", unit, err)
		}
	}
	args := make([]any, 0, 2*len(ms)+len(links))
	for _, m := range ms {
		args = append(args, m.KRKey, unit)
	}
	linked := ""
	if len(links) > 0 {
		linked = ` AND NOT EXISTS (SELECT 1 FROM kr_nodes n WHERE n.kr_key = v.column1 AND n.node IN (?` +
			strings.Repeat(", ?", len(links)-1) + `))`
		for _, l := range links {
			args = append(args, l)
		}
	}
	res, err := k.exec(ctx, k.insertNew()+` kr_nodes (kr_key, node, grp)
		SELECT v.column1, v.column2, v.column2 FROM (VALUES `+tuples(len(ms), 2)+`) AS v
		WHERE NOT EXISTS (SELECT 1 FROM kr_links l WHERE l.kr_key = v.column1 AND l.b = v.column2)`+linked+`
		ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return false, fmt.Errorf("add unit %s: %w", unit, err)
	}
	n, err := res.RowsAffected()
	return n == int64(len(ms)), err
}

// pointRow is a unit group entering a key result's window.
type pointRow struct {
	krKey, grp string
	point
}

func (k *KRTx) insertPoints(ctx context.Context, ps []pointRow) error {
	if len(ps) == 0 {
		return nil
	}
	args := make([]any, 0, 5*len(ps))
	for _, p := range ps {
		args = append(args, p.krKey, p.grp, p.At, p.EventID, p.Value)
	}
	if _, err := k.exec(ctx, k.insertNew()+` kr_points (kr_key, grp, at, event_id, value) VALUES `+tuples(len(ps), 5)+
		` ON CONFLICT DO NOTHING`, args...); err != nil {
		return fmt.Errorf("add units of %s: %w", ps[0].EventID, err)
	}
	return nil
}

// tuples is n placeholder tuples of width values: "(?, ?), (?, ?)".
func tuples(n, width int) string {
	one := "(?" + strings.Repeat(", ?", width-1) + ")"
	return one + strings.Repeat(", "+one, n-1)
}

// insertNew begins a multi-row INSERT whose rows are new or else already
// there as they are (the statement also says ON CONFLICT DO NOTHING).
func (k *KRTx) insertNew() string { return k.tx.st.db.dialect.insertNew() }
