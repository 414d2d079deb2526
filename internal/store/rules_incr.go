package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Incremental key-result state (ADR 11). A count, milestone or metric key
// result keeps, in kr_points, one row per unit group in the window it was
// last evaluated over: the group's latest match before the window's end,
// which represents it (its evidence row, its metric value). kr_window holds
// that window and how many groups are in it. A new match updates its
// group's row (when it falls in the window); moving the window adds the
// matches between the old end and the new one and drops the groups whose
// latest match fell behind the new start. Each step reads by index only
// what entered or left, so its cost does not grow with the history.
//
// The state is derived: a key result without a window row, or asked for a
// window that starts or ends earlier than its row's, is recomputed from its
// matches (the reference query), once.

// point is one unit group's representative in a key result's window.
type point struct {
	At      int64    `db:"at"`
	EventID string   `db:"event_id"`
	Value   *float64 `db:"value"`
}

// later reports whether p represents its group over q: the later match, the
// greater event id at the same millisecond (the reference order).
func (p point) later(q point) bool {
	return p.At > q.At || (p.At == q.At && p.EventID > q.EventID)
}

type window struct {
	From  int64 `db:"from_ms"`
	To    int64 `db:"to_ms"`
	Units int   `db:"units"`
}

// window returns krKey's window state. Windows are read once per
// transaction and written back before it commits (flushWindows): a batch
// moves a key result's window once per match.
func (k *KRTx) window(ctx context.Context, krKey string) (window, bool, error) {
	if c, ok := k.tx.windows[krKey]; ok {
		return c.window, c.ok, nil
	}
	var w window
	err := k.GetContext(ctx, &w, `SELECT from_ms, to_ms, units FROM kr_window WHERE kr_key = ?`, krKey)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return w, false, fmt.Errorf("window of %s: %w", krKey, err)
	}
	ok := err == nil
	k.tx.cacheWindow(krKey, cachedWindow{window: w, ok: ok})
	return w, ok, nil
}

func (k *KRTx) saveWindow(_ context.Context, krKey string, w window) error {
	k.tx.cacheWindow(krKey, cachedWindow{window: w, ok: true, dirty: true})
	return nil
}

// cachedWindow is a window state as this transaction sees it.
type cachedWindow struct {
	window
	ok, dirty bool
}

func (t *Tx) cacheWindow(krKey string, c cachedWindow) {
	if t.windows == nil {
		t.windows = map[string]cachedWindow{}
	}
	if prev, ok := t.windows[krKey]; ok && prev.dirty {
		c.dirty = true
	}
	t.windows[krKey] = c
}

// flushWindows writes the windows the transaction moved.
func (t *Tx) flushWindows(ctx context.Context) error {
	k := t.KR()
	for key, c := range t.windows {
		if !c.dirty {
			continue
		}
		_, err := k.exec(ctx, `INSERT INTO kr_window (kr_key, from_ms, to_ms, units) VALUES (?, ?, ?, ?)
			ON CONFLICT (kr_key) DO UPDATE SET from_ms = excluded.from_ms, to_ms = excluded.to_ms, units = excluded.units`,
			key, c.From, c.To, c.Units)
		if err != nil {
			return fmt.Errorf("save window of %s: %w", key, err)
		}
	}
	t.windows = nil
	return nil
}

// Advance brings krKey's incremental state to the window [from, to) (zero
// from: no lower bound) and returns how many unit groups are in it.
func (k *KRTx) Advance(ctx context.Context, krKey string, from, to time.Time) (int, error) {
	nw := window{From: fromMS(from), To: to.UnixMilli()}
	w, ok, err := k.window(ctx, krKey)
	switch {
	case err != nil:
		return 0, err
	case !ok || nw.From < w.From || nw.To < w.To:
		return k.resetWindow(ctx, krKey, nw)
	case nw == window{From: w.From, To: w.To}:
		return w.Units, nil
	}
	nw.Units = w.Units
	if nw.To > w.To {
		added, err := k.enter(ctx, krKey, max(w.To, nw.From), nw.To)
		if err != nil {
			return 0, err
		}
		nw.Units += added
	}
	if nw.From > w.From {
		res, err := k.exec(ctx, `DELETE FROM kr_points WHERE kr_key = ? AND at < ?`, krKey, nw.From)
		if err != nil {
			return 0, fmt.Errorf("units leaving %s: %w", krKey, err)
		}
		left, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		nw.Units -= int(left)
	}
	return nw.Units, k.saveWindow(ctx, krKey, nw)
}

// enter applies the matches in [lo, hi) to the points and returns how many
// groups entered the window.
func (k *KRTx) enter(ctx context.Context, krKey string, lo, hi int64) (int, error) {
	var rows []struct {
		Grp string `db:"grp"`
		point
	}
	err := k.SelectContext(ctx, &rows, `SELECT n.grp, m.occurred_at AS at, m.event_id, m.value
		FROM kr_matches m JOIN kr_nodes n ON n.kr_key = m.kr_key AND n.node = m.unit
		WHERE m.kr_key = ? AND m.occurred_at >= ? AND m.occurred_at < ?`, krKey, lo, hi)
	if err != nil {
		return 0, fmt.Errorf("units entering %s: %w", krKey, err)
	}
	added := 0
	for _, r := range rows {
		n, err := k.upsertPoint(ctx, krKey, r.Grp, r.point)
		if err != nil {
			return 0, err
		}
		added += n
	}
	return added, nil
}

// resetWindow recomputes krKey's points for w from its matches: each group's
// latest match in the window.
func (k *KRTx) resetWindow(ctx context.Context, krKey string, w window) (int, error) {
	if _, err := k.exec(ctx, `DELETE FROM kr_points WHERE kr_key = ?`, krKey); err != nil {
		return 0, fmt.Errorf("reset units of %s: %w", krKey, err)
	}
	res, err := k.exec(ctx, k.insertNew()+` kr_points (kr_key, grp, at, event_id, value)
		SELECT kr_key, grp, occurred_at, event_id, value FROM (
			SELECT m.kr_key, n.grp, m.occurred_at, m.event_id, m.value,
				ROW_NUMBER() OVER (PARTITION BY n.grp ORDER BY m.occurred_at DESC, m.event_id DESC) AS rn
			FROM kr_matches m JOIN kr_nodes n ON n.kr_key = m.kr_key AND n.node = m.unit
			WHERE m.kr_key = ? AND m.occurred_at >= ? AND m.occurred_at < ?) latest
		WHERE rn = 1 ON CONFLICT DO NOTHING`, krKey, w.From, w.To)
	if err != nil {
		return 0, fmt.Errorf("reset units of %s: %w", krKey, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	w.Units = int(n)
	return w.Units, k.saveWindow(ctx, krKey, w)
}

// getPoint returns grp's point, if it has one.
func (k *KRTx) getPoint(ctx context.Context, krKey, grp string) (point, bool, error) {
	var p point
	err := k.GetContext(ctx, &p, `SELECT at, event_id, value FROM kr_points WHERE kr_key = ? AND grp = ?`, krKey, grp)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("unit %s of %s: %w", grp, krKey, err)
	}
	return p, true, nil
}

// upsertPoint makes p grp's representative unless a later one is stored; it
// returns 1 when the group is new to the window.
func (k *KRTx) upsertPoint(ctx context.Context, krKey, grp string, p point) (int, error) {
	have, ok, err := k.getPoint(ctx, krKey, grp)
	switch {
	case err != nil:
		return 0, err
	case !ok:
		return 1, k.insertPoint(ctx, krKey, grp, p)
	case p.later(have):
		_, err = k.exec(ctx, `UPDATE kr_points SET at = ?, event_id = ?, value = ? WHERE kr_key = ? AND grp = ?`,
			p.At, p.EventID, p.Value, krKey, grp)
		if err != nil {
			return 0, fmt.Errorf("update unit %s of %s: %w", grp, krKey, err)
		}
	}
	return 0, nil
}

func (k *KRTx) insertPoint(ctx context.Context, krKey, grp string, p point) error {
	_, err := k.exec(ctx, `INSERT INTO kr_points (kr_key, grp, at, event_id, value) VALUES (?, ?, ?, ?, ?)`,
		krKey, grp, p.At, p.EventID, p.Value)
	if err != nil {
		return fmt.Errorf("add unit %s of %s: %w", grp, krKey, err)
	}
	return nil
}

// track applies a new match of group grp to krKey's state: when the match
// falls in the window, the group enters or its representative moves. A
// match after the window's end enters when the window reaches it. A new
// group's row is returned for the caller to insert (enters true).
func (k *KRTx) track(ctx context.Context, krKey, grp string, newGroup bool, m MatchRow) (pointRow, bool, error) {
	w, ok, err := k.window(ctx, krKey)
	at := m.OccurredAt.UnixMilli()
	if err != nil || !ok || at < w.From || at >= w.To {
		return pointRow{}, false, err
	}
	p := point{At: at, EventID: m.EventID, Value: m.Value}
	added := 1
	if !newGroup {
		if added, err = k.upsertPoint(ctx, krKey, grp, p); err != nil || added == 0 {
			return pointRow{}, false, err
		}
	}
	w.Units += added
	return pointRow{krKey: krKey, grp: grp, point: p}, newGroup, k.saveWindow(ctx, krKey, w)
}

// mergePoints moves group from's point into group into (the groups were
// tied): the later representative stays; the window holds one group fewer
// when both were in it.
func (k *KRTx) mergePoints(ctx context.Context, krKey, from, into string) error {
	src, ok, err := k.getPoint(ctx, krKey, from)
	if err != nil || !ok {
		return err
	}
	added, err := k.upsertPoint(ctx, krKey, into, src)
	if err != nil {
		return err
	}
	if _, err := k.exec(ctx, `DELETE FROM kr_points WHERE kr_key = ? AND grp = ?`, krKey, from); err != nil {
		return fmt.Errorf("merge unit %s of %s: %w", from, krKey, err)
	}
	if added == 1 {
		return nil // moved: as many groups as before
	}
	w, ok, err := k.window(ctx, krKey)
	if err != nil || !ok {
		return err
	}
	w.Units--
	return k.saveWindow(ctx, krKey, w)
}

// scopeRow is one issue in one ratio's scope, with what the ratio counts
// and orders by (copied from issue_state).
type scopeRow struct {
	KRKey      string `db:"kr_key"`
	InRatio    bool   `db:"in_ratio"` // neither canceled nor deleted
	Canceled   bool   `db:"canceled"` // canceled, not deleted
	Done       bool   `db:"done"`
	DoneAt     int64  `db:"done_at"`
	OccurredAt int64  `db:"occurred_at"`
}

const scopeCols = `kr_key, in_ratio, canceled, done, done_at, occurred_at`

func (r scopeRow) counts() RatioCount {
	switch {
	case r.Canceled:
		return RatioCount{Canceled: 1}
	case !r.InRatio:
		return RatioCount{}
	case r.Done:
		return RatioCount{Done: 1, Total: 1}
	}
	return RatioCount{Total: 1}
}

// RatioCount is what a ratio key result's scope holds: Done of Total
// issues, canceled and deleted ones in neither, and Canceled (canceled,
// won't do, duplicate; not deleted) apart, so that each way of counting
// them (rules.KeyResult.Canceled) reads the same rows.
type RatioCount struct {
	Done     int `db:"done"`
	Total    int `db:"total"`
	Canceled int `db:"canceled"`
}

// syncScope copies unit's state to its scope rows and moves the ratios'
// counts by the difference.
func (k *KRTx) syncScope(ctx context.Context, unit string) error {
	var rows []scopeRow
	if err := k.SelectContext(ctx, &rows, `SELECT `+scopeCols+` FROM kr_issues WHERE unit = ?`, unit); err != nil {
		return fmt.Errorf("scope of %s: %w", unit, err)
	}
	if len(rows) == 0 {
		return nil
	}
	var now scopeRow
	err := k.GetContext(ctx, &now, `SELECT canceled = 0 AND deleted = 0 AS in_ratio, canceled = 1 AND deleted = 0 AS canceled,
		status_category = 'done' AS done, done_at, occurred_at FROM issue_state WHERE unit = ?`, unit)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("state of %s: %w", unit, err)
	}
	for _, row := range rows {
		now.KRKey = row.KRKey
		if now == row {
			continue
		}
		if _, err := k.exec(ctx, `UPDATE kr_issues SET in_ratio = ?, canceled = ?, done = ?, done_at = ?, occurred_at = ?
			WHERE kr_key = ? AND unit = ?`, flag(now.InRatio), flag(now.Canceled), flag(now.Done), now.DoneAt, now.OccurredAt, row.KRKey, unit); err != nil {
			return fmt.Errorf("scope of %s: %w", unit, err)
		}
		if err := k.addRatio(ctx, row.KRKey, now, row); err != nil {
			return err
		}
	}
	return nil
}

// addRatio moves krKey's ratio counts from what row counted to what now
// counts (no-op while the key result has no counts: they are computed on
// first use).
func (k *KRTx) addRatio(ctx context.Context, krKey string, now, was scopeRow) error {
	c1, c0 := now.counts(), was.counts()
	if c1 == c0 {
		return nil
	}
	if _, err := k.exec(ctx, `UPDATE kr_ratio SET done = done + ?, total = total + ?, canceled = canceled + ? WHERE kr_key = ?`,
		c1.Done-c0.Done, c1.Total-c0.Total, c1.Canceled-c0.Canceled, krKey); err != nil {
		return fmt.Errorf("ratio of %s: %w", krKey, err)
	}
	return nil
}

// Ratio returns krKey's ratio counts: how many issues in its scope are
// done, how many there are (canceled and deleted issues in neither), and
// how many are canceled, from its counts (computed on first use).
func (k *KRTx) Ratio(ctx context.Context, krKey string) (RatioCount, error) {
	var r RatioCount
	err := k.GetContext(ctx, &r, `SELECT done, total, canceled FROM kr_ratio WHERE kr_key = ?`, krKey)
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("ratio of %s: %w", krKey, err)
	}
	err = k.GetContext(ctx, &r, `SELECT COALESCE(SUM(CASE WHEN done = 1 THEN in_ratio ELSE 0 END), 0) AS done,
		COALESCE(SUM(in_ratio), 0) AS total, COALESCE(SUM(canceled), 0) AS canceled FROM kr_issues WHERE kr_key = ?`, krKey)
	if err != nil {
		return r, fmt.Errorf("ratio of %s: %w", krKey, err)
	}
	if _, err := k.exec(ctx, `INSERT INTO kr_ratio (kr_key, done, total, canceled) VALUES (?, ?, ?, ?)`, krKey, r.Done, r.Total, r.Canceled); err != nil {
		return r, fmt.Errorf("ratio of %s: %w", krKey, err)
	}
	return r, nil
}

// WindowUnits returns the unit groups in krKey's window as last advanced,
// each represented by its latest match: the newest first (oldest with
// oldest), at most limit of them (0: all). It reads them by index.
func (k *KRTx) WindowUnits(ctx context.Context, krKey string, oldest bool, limit int) ([]UnitRow, error) {
	order := "DESC"
	if oldest {
		order = "ASC"
	}
	if limit <= 0 {
		limit = allRows
	}
	var rows []matchRow
	err := k.SelectContext(ctx, &rows, `SELECT p.grp, `+matchCols+`
		FROM kr_points p JOIN kr_matches m ON m.kr_key = p.kr_key AND m.occurred_at = p.at AND m.event_id = p.event_id
		JOIN events e ON e.id = m.event_id
		WHERE p.kr_key = ? ORDER BY p.at `+order+`, p.event_id `+order+` LIMIT ?`, krKey, limit)
	if err != nil {
		return nil, fmt.Errorf("units of %s: %w", krKey, err)
	}
	out := make([]UnitRow, len(rows))
	for i, r := range rows {
		out[i] = r.row(krKey)
	}
	return out, nil
}

// WindowValues returns the values of the units in krKey's window, the
// oldest unit's first, or with sorted the smallest first; at most limit of
// them (negative: all).
func (k *KRTx) WindowValues(ctx context.Context, krKey string, sorted bool, limit int) ([]float64, error) {
	order := `at, event_id`
	if sorted {
		order = `value`
	}
	if limit < 0 {
		limit = allRows
	}
	var out []float64
	err := k.SelectContext(ctx, &out, `SELECT value FROM kr_points WHERE kr_key = ? AND value IS NOT NULL
		ORDER BY `+order+` LIMIT ?`, krKey, limit)
	if err != nil {
		return nil, fmt.Errorf("values of %s: %w", krKey, err)
	}
	return out, nil
}

// WindowValue returns the rank-th smallest (from 0) of the n values in
// krKey's window. It walks the value index from the nearer end: at most
// n/2 entries.
func (k *KRTx) WindowValue(ctx context.Context, krKey string, rank, n int) (float64, error) {
	order, offset := `ASC`, rank
	if rank >= n/2 {
		order, offset = `DESC`, n-1-rank
	}
	var v float64
	err := k.GetContext(ctx, &v, `SELECT value FROM kr_points WHERE kr_key = ? AND value IS NOT NULL
		ORDER BY value `+order+` LIMIT 1 OFFSET ?`, krKey, offset)
	if err != nil {
		return 0, fmt.Errorf("value %d of %s: %w", rank, krKey, err)
	}
	return v, nil
}

// FirstMatch returns the time of krKey's earliest match in [from, to), zero
// when none (one index seek).
func (k *KRTx) FirstMatch(ctx context.Context, krKey string, from, to time.Time) (time.Time, error) {
	var first *int64
	err := k.GetContext(ctx, &first, `SELECT MIN(occurred_at) FROM kr_matches WHERE kr_key = ? AND occurred_at >= ? AND occurred_at < ?`,
		krKey, fromMS(from), to.UnixMilli())
	if err != nil || first == nil {
		return time.Time{}, err
	}
	return time.UnixMilli(*first).UTC(), nil
}

// RatioIssues returns up to limit issues of krKey's scope (canceled and
// deleted excluded) in ScopeIssues' order, read by index.
func (k *KRTx) RatioIssues(ctx context.Context, krKey string, limit int) ([]IssueState, error) {
	return k.View().issues(ctx, `SELECT `+issueCols+` FROM kr_issues k JOIN issue_state i ON i.unit = k.unit`+issueEvent+`
		WHERE k.kr_key = ? AND k.in_ratio = 1
		ORDER BY k.done DESC, k.done_at DESC, k.occurred_at DESC, k.unit LIMIT ?`, krKey, limit)
}
