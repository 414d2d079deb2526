package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Flush writes what the replay derived: each table once, its rows in key
// order (B-tree appends rather than inserts all over the tree), in
// multi-row statements.
func (r *Replay) Flush(ctx context.Context) error {
	for _, step := range []func(context.Context) error{r.flushMatches, r.flushSources, r.flushUnits, r.flushIssues} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (r *Replay) flushMatches(ctx context.Context) error {
	ms := r.matches
	slices.SortStableFunc(ms, compareMatch)
	// A match recorded again changes nothing (ON CONFLICT DO NOTHING): the first stays.
	ms = slices.CompactFunc(ms, func(a, b replayMatch) bool { return compareMatch(a, b) == 0 })
	return r.k.insertRows(ctx, `kr_matches (kr_key, event_id, unit, occurred_at, value, rule_version)`, 6, len(ms),
		func(i int, args []any) []any {
			m := ms[i]
			return append(args, m.krKey, m.eventID, m.unit, m.at, m.value, m.ruleVersion)
		})
}

func (r *Replay) flushSources(ctx context.Context) error {
	rows := slices.SortedFunc(maps.Keys(r.sources), compareTriple)
	return r.k.insertRows(ctx, `kr_sources (kr_key, source, rule_version)`, 3, len(rows), triple(rows))
}

// flushUnits writes every key result's links and unit groups.
func (r *Replay) flushUnits(ctx context.Context) error {
	var links, nodes [][3]string
	for _, key := range sortedKeys(r.krs) {
		g := r.krs[key]
		for _, l := range slices.SortedFunc(maps.Keys(g.links), comparePair) {
			links = append(links, [3]string{key, l[0], l[1]})
		}
		for _, n := range sortedKeys(g.nodes) {
			nodes = append(nodes, [3]string{key, n, g.nodes[n]})
		}
	}
	if err := r.k.insertRows(ctx, `kr_links (kr_key, a, b)`, 3, len(links), triple(links)); err != nil {
		return err
	}
	return r.k.insertRows(ctx, `kr_nodes (kr_key, node, grp)`, 3, len(nodes), triple(nodes))
}

// flushIssues writes every issue's state and the ratio scopes holding it,
// each scope row with the issue's state copied (what syncScope keeps).
func (r *Replay) flushIssues(ctx context.Context) error {
	var states []*replayIssue
	type scoped struct {
		key  string
		unit string
		row  scopeRow
	}
	var scopes []scoped
	for _, unit := range sortedKeys(r.issues) {
		is := r.issues[unit]
		var row scopeRow
		if is.known {
			states = append(states, is)
			row = is.scopeRow()
		}
		for _, key := range is.scope {
			scopes = append(scopes, scoped{key: key, unit: unit, row: row})
		}
	}
	err := r.k.insertRows(ctx, `issue_state (unit, event_id, occurred_at, status_category, canceled, blocked,
		done_at, actor, deleted)`, 9, len(states), func(i int, args []any) []any {
		is := states[i]
		st := is.st
		return append(args, st.Unit, st.EventID, is.at, st.StatusCategory,
			flag(st.Canceled), flag(st.Blocked), is.doneAt, st.Actor, flag(st.Deleted))
	})
	if err != nil {
		return err
	}
	slices.SortFunc(scopes, func(a, b scoped) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.unit, b.unit)) })
	return r.k.insertRows(ctx, `kr_issues (kr_key, unit, in_ratio, done, done_at, occurred_at, canceled)`, 7, len(scopes),
		func(i int, args []any) []any {
			s := scopes[i]
			return append(args, s.key, s.unit, flag(s.row.InRatio), flag(s.row.Done), s.row.DoneAt, s.row.OccurredAt, flag(s.row.Canceled))
		})
}

// scopeRow is what syncScope copies from the issue's state to its scope rows.
func (is *replayIssue) scopeRow() scopeRow {
	live := !is.st.Deleted
	return scopeRow{InRatio: live && !is.st.Canceled, Canceled: live && is.st.Canceled,
		Done: is.st.StatusCategory == "done", DoneAt: is.doneAt, OccurredAt: is.at}
}

// bulkRows is the most rows one multi-row INSERT carries (13 columns ×
// 256 rows stays well under both backends' limits on bound parameters).
const bulkRows = 256

// insertRows inserts n rows of width columns into table (with its column
// list), row appending row i's values, bulkRows rows per statement. The
// last rows go in statements of decreasing powers of two, so that a store
// prepares at most nine statements per table. The rows are new (the tables
// were emptied, the rows are distinct): insertNew only spares SQLite its
// statement journal (ADR 64).
func (k *KRTx) insertRows(ctx context.Context, table string, width, n int, row func(i int, args []any) []any) error {
	args := make([]any, 0, width*bulkRows)
	for i := 0; i < n; {
		size := bulkRows
		for size > n-i {
			size /= 2
		}
		args = args[:0]
		for j := i; j < i+size; j++ {
			args = row(j, args)
		}
		if _, err := k.exec(ctx, k.insertNew()+` `+table+` VALUES `+tuples(size, width)+` ON CONFLICT DO NOTHING`, args...); err != nil {
			return fmt.Errorf("replay %s: %w", strings.Fields(table)[0], err)
		}
		i += size
	}
	return nil
}

func comparePair(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) }

func compareTriple(a, b [3]string) int {
	return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]), cmp.Compare(a[2], b[2]))
}

// triple appends row i of rows, three text columns.
func triple(rows [][3]string) func(int, []any) []any {
	return func(i int, args []any) []any { return append(args, rows[i][0], rows[i][1], rows[i][2]) }
}
