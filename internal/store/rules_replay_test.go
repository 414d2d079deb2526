package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestReplayEqualsPerEvent: a Replay given the calls a rebuild makes, event
// by event, writes exactly the rows the per-event statements write (every
// table, every column), and answers each call as they do. The calls are
// random: units tied by links both ways, chains merging groups, links to
// themselves and repeated, matches recorded twice, issue states out of
// order, deletions and ties in the same millisecond.
func TestReplayEqualsPerEvent(t *testing.T) {
	for seed := range 6 {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			ops := replayOps(rand.New(rand.NewPCG(uint64(seed), 60)), 300)
			perEvent := openTest(t, filepath.Join(t.TempDir(), "per-event.db"))
			bulk := openTest(t, filepath.Join(t.TempDir(), "bulk.db"))
			var want, got []string
			for start := 0; start < len(ops); start += 40 { // several transactions, as batches
				err := perEvent.InTx(t.Context(), func(tx *Tx) error {
					var err error
					want, err = applyOps(t.Context(), tx.KR(), ops[start:min(start+40, len(ops))], want)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			err := bulk.InTx(t.Context(), func(tx *Tx) error {
				k := tx.KR()
				if err := k.ResetDerived(t.Context()); err != nil {
					return err
				}
				r := k.Replay()
				var err error
				if got, err = applyOps(t.Context(), r, ops, nil); err != nil {
					return err
				}
				return r.Flush(t.Context())
			})
			if err != nil {
				t.Fatal(err)
			}
			if d := diffLines(want, got); d != "" {
				t.Errorf("answers differ (per event, replay):\n%s", d)
			}
			for _, table := range replayTables {
				if d := diffLines(dumpTable(t, perEvent, table), dumpTable(t, bulk, table)); d != "" {
					t.Errorf("%s differs (per event, replay):\n%s", table, d)
				}
			}
		})
	}
}

// replayTables are the tables a replay writes, with their key order.
var replayTables = []string{
	"kr_matches ORDER BY kr_key, occurred_at, event_id", "kr_sources ORDER BY kr_key, source, rule_version",
	"kr_links ORDER BY kr_key, a, b", "kr_nodes ORDER BY kr_key, node",
	"issue_state ORDER BY unit", "kr_issues ORDER BY kr_key, unit",
}

// replayOp is one call: matches of one event, or an issue state with the
// scopes that matched it.
type replayOp struct {
	matches []MatchRow
	links   []string
	issue   *IssueState
	scope   []string
}

type replayTarget interface {
	AddMatches(ctx context.Context, ms []MatchRow, links []string) ([]string, error)
	UpsertIssue(ctx context.Context, st IssueState) (bool, error)
	SetIssueScope(ctx context.Context, unit string, krKeys []string) ([]string, error)
	KeysWithNode(ctx context.Context, unit string) ([]string, error)
}

// applyOps makes ops' calls on k as the engine does, appending what each
// answered to out.
func applyOps(ctx context.Context, k replayTarget, ops []replayOp, out []string) ([]string, error) {
	for _, op := range ops {
		if op.issue == nil {
			keys, err := k.AddMatches(ctx, op.matches, op.links)
			if err != nil {
				return nil, err
			}
			out = append(out, fmt.Sprint("matched ", keys))
			continue
		}
		applied, err := k.UpsertIssue(ctx, *op.issue)
		if err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprint("applied ", applied))
		if !applied {
			continue
		}
		keys, err := k.SetIssueScope(ctx, op.issue.Unit, op.scope)
		if err != nil {
			return nil, err
		}
		holders, err := k.KeysWithNode(ctx, op.issue.Unit)
		if err != nil {
			return nil, err
		}
		slices.Sort(keys)
		slices.Sort(holders) // a set: UNION has no order on PostgreSQL
		out = append(out, fmt.Sprint("scope ", keys, " held by ", holders))
	}
	return out, nil
}

func replayOps(rnd *rand.Rand, n int) []replayOp {
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	pick := func(pool []string, most int) []string {
		var out []string
		for range rnd.IntN(most + 1) {
			out = append(out, pool[rnd.IntN(len(pool))])
		}
		return out
	}
	units := []string{"a#1", "a#2", "a#3", "b#1", "b#2", "I-1", "I-2", "I-3", "I-4", "I-5", ""}
	var ops []replayOp
	for i := range n {
		at := t0.Add(time.Duration(rnd.IntN(40)) * time.Minute)
		unit := units[rnd.IntN(len(units)-1)]
		if rnd.IntN(3) > 0 {
			id := fmt.Sprintf("ev%d", i)
			if i > 0 && rnd.IntN(10) == 0 {
				id = fmt.Sprintf("ev%d", rnd.IntN(i)) // recorded again
			}
			var ms []MatchRow
			for _, key := range uniq(pick([]string{"k1", "k2", "k3"}, 3)) {
				var v *float64
				if rnd.IntN(3) > 0 {
					f := float64(rnd.IntN(100)) / 4
					v = &f
				}
				ms = append(ms, MatchRow{KRKey: key, EventID: id, Unit: unit, Source: []string{"github", "gitlab"}[rnd.IntN(2)],
					OccurredAt: at, Value: v, RuleVersion: fmt.Sprintf("v%d", rnd.IntN(2))})
			}
			if len(ms) > 0 {
				ops = append(ops, replayOp{matches: ms, links: pick(units, 3)})
			}
			continue
		}
		st := IssueState{Unit: unit, Source: "jira", EventID: fmt.Sprintf("ev%d", i), Kind: "issue.updated", OccurredAt: at,
			StatusCategory: []string{"new", "indeterminate", "done"}[rnd.IntN(3)], Canceled: rnd.IntN(5) == 0,
			Blocked: rnd.IntN(4) == 0, Title: "t" + unit, URL: "u" + unit, Actor: "p"}
		if st.StatusCategory == "done" {
			st.DoneAt = at
		}
		scope := uniq(pick([]string{"r1", "r2"}, 2))
		if rnd.IntN(8) == 0 {
			st = IssueState{Unit: unit, Source: "jira", EventID: st.EventID, Kind: "issue.deleted", OccurredAt: at, Deleted: true}
			scope = nil
		}
		ops = append(ops, replayOp{issue: &st, scope: scope})
	}
	return ops
}

// dumpTable returns every row of table (with its ORDER BY), one line each.
func dumpTable(t *testing.T, s *Store, table string) []string {
	t.Helper()
	rows, err := s.db.QueryxContext(t.Context(), `SELECT * FROM `+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			t.Fatal(err)
		}
		line := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			line[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(line, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// diffLines describes where two line lists first differ ("" when equal).
func diffLines(want, got []string) string {
	for i := range max(len(want), len(got)) {
		w, g := "(none)", "(none)"
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			return fmt.Sprintf("line %d of %d/%d:\n  %s\n  %s", i, len(want), len(got), w, g)
		}
	}
	return ""
}
