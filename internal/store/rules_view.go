package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/goalpost/goalpost/pipeline/event"
)

// querier is what KRView reads through: the database, or a transaction.
type querier interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error)
}

// KRView reads key-result data, from the database or inside a transaction.
type KRView struct {
	q querier
	d dialect
}

// KRView reads committed key-result data.
func (s *Store) KRView() KRView { return KRView{q: s.db, d: s.db.dialect} }

// matchCols are the columns matchRow reads but the group, from kr_matches m
// joined with its event e. Actor is the event's actor handle: the engine
// maps it to a person when it shows the row.
const matchCols = `m.event_id, m.unit, e.source, e.kind, m.occurred_at, m.value, e.title, e.url,
	e.actor_handle AS actor, m.rule_version`

type matchRow struct {
	Grp         string   `db:"grp"`
	EventID     string   `db:"event_id"`
	Unit        string   `db:"unit"`
	Source      string   `db:"source"`
	Kind        string   `db:"kind"`
	OccurredAt  int64    `db:"occurred_at"`
	Value       *float64 `db:"value"`
	Title       string   `db:"title"`
	URL         string   `db:"url"`
	Actor       string   `db:"actor"`
	RuleVersion string   `db:"rule_version"`
}

func (r matchRow) row(krKey string) UnitRow {
	return UnitRow{Group: r.Grp, MatchRow: MatchRow{KRKey: krKey, EventID: r.EventID, Unit: r.Unit,
		Source: r.Source, Kind: r.Kind, OccurredAt: time.UnixMilli(r.OccurredAt).UTC(), Value: r.Value,
		Title: r.Title, URL: r.URL, ActorHandle: r.Actor, RuleVersion: r.RuleVersion}}
}

// UnitRow is one counted unit of a key result: its group and the match
// that represents it (the group's latest matching event in the window).
type UnitRow struct {
	Group string
	MatchRow
}

// UnitQuery selects a key result's units in [From, To) (zero From: no
// lower bound).
type UnitQuery struct {
	KRKey    string
	From, To time.Time
	// WithValue keeps only matches that carry a value (metrics): each unit
	// is then represented by its latest match with a value.
	WithValue bool
	// Oldest orders units oldest first (default newest first).
	Oldest bool
	Limit  int // 0: all
}

// Units returns one row per unit group matched in the window. With a Limit
// it reads matches newest (or oldest) first and stops after Limit groups, so
// its cost does not grow with the key result's history; a group is then
// represented by its newest (or oldest) match.
func (v KRView) Units(ctx context.Context, uq UnitQuery) ([]UnitRow, error) {
	if uq.Limit > 0 {
		return v.unitsFirst(ctx, uq)
	}
	order := "DESC"
	if uq.Oldest {
		order = "ASC"
	}
	q := `SELECT m.grp, ` + matchCols + ` FROM (
		SELECT n.grp, m.event_id, m.unit, m.occurred_at, m.value, m.rule_version,
			ROW_NUMBER() OVER (PARTITION BY n.grp ORDER BY m.occurred_at DESC, m.event_id DESC) AS rn
		FROM kr_matches m JOIN kr_nodes n ON n.kr_key = m.kr_key AND n.node = m.unit
		WHERE m.kr_key = ? AND m.occurred_at >= ? AND m.occurred_at < ?` + valueCond(uq.WithValue) + `
	) m JOIN events e ON e.id = m.event_id
	WHERE m.rn = 1 ORDER BY m.occurred_at ` + order + `, m.event_id ` + order + ` LIMIT ?`
	var rows []matchRow
	if err := v.q.SelectContext(ctx, &rows, q, uq.KRKey, fromMS(uq.From), uq.To.UnixMilli(), allRows); err != nil {
		return nil, fmt.Errorf("units of %s: %w", uq.KRKey, err)
	}
	out := make([]UnitRow, len(rows))
	for i, r := range rows {
		out[i] = r.row(uq.KRKey)
	}
	return out, nil
}

func (v KRView) unitsFirst(ctx context.Context, uq UnitQuery) ([]UnitRow, error) {
	order := "DESC"
	if uq.Oldest {
		order = "ASC"
	}
	rows, err := v.q.QueryxContext(ctx, `SELECT n.grp, `+matchCols+`
		FROM kr_matches m JOIN kr_nodes n ON n.kr_key = m.kr_key AND n.node = m.unit JOIN events e ON e.id = m.event_id
		WHERE m.kr_key = ? AND m.occurred_at >= ? AND m.occurred_at < ?`+valueCond(uq.WithValue)+`
		ORDER BY m.occurred_at `+order+`, m.event_id `+order, uq.KRKey, fromMS(uq.From), uq.To.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("units of %s: %w", uq.KRKey, err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []UnitRow
	for len(out) < uq.Limit && rows.Next() {
		var r matchRow
		if err := rows.StructScan(&r); err != nil {
			return nil, fmt.Errorf("units of %s: %w", uq.KRKey, err)
		}
		if !seen[r.Grp] {
			seen[r.Grp] = true
			out = append(out, r.row(uq.KRKey))
		}
	}
	return out, rows.Err()
}

func valueCond(withValue bool) string {
	if withValue {
		return ` AND m.value IS NOT NULL`
	}
	return ""
}

// allRows is a LIMIT that keeps every row (PostgreSQL takes no negative
// LIMIT).
const allRows = 1 << 62

func fromMS(t time.Time) int64 {
	if t.IsZero() {
		return -1 << 62
	}
	return t.UnixMilli()
}

// CountUnits counts the unit groups matched in [from, to) and the earliest
// matching time (zero when none).
func (v KRView) CountUnits(ctx context.Context, krKey string, from, to time.Time) (int, time.Time, error) {
	var r struct {
		N     int    `db:"n"`
		First *int64 `db:"first"`
	}
	err := v.q.GetContext(ctx, &r, `SELECT COUNT(DISTINCT n.grp) AS n, MIN(m.occurred_at) AS first
		FROM kr_matches m JOIN kr_nodes n ON n.kr_key = m.kr_key AND n.node = m.unit
		WHERE m.kr_key = ? AND m.occurred_at >= ? AND m.occurred_at < ?`, krKey, fromMS(from), to.UnixMilli())
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count units of %s: %w", krKey, err)
	}
	var first time.Time
	if r.First != nil {
		first = time.UnixMilli(*r.First).UTC()
	}
	return r.N, first, nil
}

// Matches returns every match of krKey, oldest first (for explain).
func (v KRView) Matches(ctx context.Context, krKey string) ([]UnitRow, error) {
	var rows []matchRow
	err := v.q.SelectContext(ctx, &rows, `SELECT COALESCE(n.grp, m.unit) AS grp, `+matchCols+`
		FROM kr_matches m JOIN events e ON e.id = m.event_id LEFT JOIN kr_nodes n ON n.kr_key = m.kr_key AND n.node = m.unit
		WHERE m.kr_key = ? ORDER BY m.occurred_at, m.event_id`, krKey)
	if err != nil {
		return nil, fmt.Errorf("matches of %s: %w", krKey, err)
	}
	out := make([]UnitRow, len(rows))
	for i, r := range rows {
		out[i] = r.row(krKey)
	}
	return out, nil
}

// MatchesHaveSource reports whether any of krKey's matches came from source.
func (v KRView) MatchesHaveSource(ctx context.Context, krKey, source string) (bool, error) {
	var ok bool
	err := v.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM kr_sources WHERE kr_key = ? AND source = ?)`, krKey, source)
	if err != nil {
		return false, fmt.Errorf("sources of %s: %w", krKey, err)
	}
	return ok, nil
}

// MatchedByOtherVersion reports whether any of krKey's matches was recorded
// by a version of its rule other than version (history a rebuild would
// recompute). It reads kr_sources (a few rows per key result), not the
// matches.
func (v KRView) MatchedByOtherVersion(ctx context.Context, krKey, version string) (bool, error) {
	var ok bool
	err := v.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM kr_sources WHERE kr_key = ? AND rule_version != ?)`, krKey, version)
	if err != nil {
		return false, fmt.Errorf("rule versions of %s: %w", krKey, err)
	}
	return ok, nil
}

type issueRow struct {
	Unit           string `db:"unit"`
	Source         string `db:"source"`
	EventID        string `db:"event_id"`
	Kind           string `db:"kind"`
	OccurredAt     int64  `db:"occurred_at"`
	StatusCategory string `db:"status_category"`
	Canceled       bool   `db:"canceled"`
	Blocked        bool   `db:"blocked"`
	DoneAt         int64  `db:"done_at"`
	Title          string `db:"title"`
	URL            string `db:"url"`
	Actor          string `db:"actor"`
	Deleted        bool   `db:"deleted"`
}

func (r issueRow) state() IssueState {
	st := IssueState{Unit: r.Unit, Source: r.Source, EventID: r.EventID, Kind: r.Kind,
		OccurredAt: time.UnixMilli(r.OccurredAt).UTC(), StatusCategory: r.StatusCategory,
		Canceled: r.Canceled, Blocked: r.Blocked, Title: r.Title, URL: r.URL, Actor: r.Actor, Deleted: r.Deleted}
	if r.DoneAt > 0 {
		st.DoneAt = time.UnixMilli(r.DoneAt).UTC()
	}
	return st
}

// issueCols are the columns issueRow reads, from issue_state i and its
// latest event e (joined by issueEvent): the state keeps no copy of the
// event's source, kind, title and URL.
const issueCols = `i.unit, COALESCE(e.source, '') AS source, i.event_id, COALESCE(e.kind, '') AS kind, i.occurred_at,
	i.status_category, i.canceled, i.blocked, i.done_at, COALESCE(e.title, '') AS title, COALESCE(e.url, '') AS url, i.actor, i.deleted`

// issueEvent joins the latest event e of each issue_state row i (always
// stored before the state it sets; an absent one leaves its fields empty).
const issueEvent = ` LEFT JOIN events e ON e.id = i.event_id`

// RatioCounts returns krKey's ratio counts (see RatioCount): done and
// total without canceled and deleted issues, canceled ones apart (a
// deleted issue also leaves every scope; the condition is a second guard).
func (v KRView) RatioCounts(ctx context.Context, krKey string) (RatioCount, error) {
	var r RatioCount
	err := v.q.GetContext(ctx, &r, `SELECT
		COALESCE(SUM(CASE WHEN i.canceled = 0 AND i.status_category = 'done' THEN 1 ELSE 0 END), 0) AS done,
		COALESCE(SUM(CASE WHEN i.canceled = 0 THEN 1 ELSE 0 END), 0) AS total,
		COALESCE(SUM(i.canceled), 0) AS canceled
		FROM kr_issues k JOIN issue_state i ON i.unit = k.unit WHERE k.kr_key = ? AND i.deleted = 0`, krKey)
	if err != nil {
		return r, fmt.Errorf("ratio of %s: %w", krKey, err)
	}
	return r, nil
}

// ScopeIssues returns issues in krKey's scope (canceled and deleted excluded), done
// ones first by when they were done, then the rest by last change; limit
// 0 means all.
func (v KRView) ScopeIssues(ctx context.Context, krKey string, limit int) ([]IssueState, error) {
	if limit <= 0 {
		limit = allRows
	}
	return v.issues(ctx, `SELECT `+issueCols+` FROM kr_issues k JOIN issue_state i ON i.unit = k.unit`+issueEvent+`
		WHERE k.kr_key = ? AND i.canceled = 0 AND i.deleted = 0
		ORDER BY i.status_category = 'done' DESC, i.done_at DESC, i.occurred_at DESC, i.unit LIMIT ?`, krKey, limit)
}

// BlockedIssues returns the issues tied to krKey (in its ratio scope, among
// its units, or linked by them) that are flagged blocked and not done. It reads the (small) set of open blocked issues, not the scope.
func (v KRView) BlockedIssues(ctx context.Context, krKey string) ([]IssueState, error) {
	return v.issues(ctx, `SELECT `+issueCols+` FROM issue_state i`+v.d.indexedBy("issue_state_open_blocked")+issueEvent+`
		WHERE i.blocked = 1 AND i.status_category != 'done' AND i.canceled = 0 AND i.deleted = 0 AND (
			EXISTS (SELECT 1 FROM kr_issues k WHERE k.kr_key = ? AND k.unit = i.unit) OR
			EXISTS (SELECT 1 FROM kr_nodes n WHERE n.kr_key = ? AND n.node = i.unit) OR
			EXISTS (SELECT 1 FROM kr_links l WHERE l.kr_key = ? AND l.b = i.unit))
		ORDER BY i.occurred_at DESC, i.unit`, krKey, krKey, krKey)
}

// Issue returns the stored state of one issue, or ErrNotFound.
func (v KRView) Issue(ctx context.Context, unit string) (IssueState, error) {
	rows, err := v.issues(ctx, `SELECT `+issueCols+` FROM issue_state i`+issueEvent+` WHERE i.unit = ?`, unit)
	if err != nil {
		return IssueState{}, err
	}
	if len(rows) == 0 {
		return IssueState{}, fmt.Errorf("issue %s: %w", unit, ErrNotFound)
	}
	return rows[0], nil
}

// InScope reports whether unit is in krKey's ratio scope.
func (v KRView) InScope(ctx context.Context, krKey, unit string) (bool, error) {
	var n int
	err := v.q.GetContext(ctx, &n, `SELECT COUNT(*) FROM kr_issues WHERE kr_key = ? AND unit = ?`, krKey, unit)
	return n > 0, err
}

func (v KRView) issues(ctx context.Context, q string, args ...any) ([]IssueState, error) {
	var rows []issueRow
	if err := v.q.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("issues: %w", err)
	}
	out := make([]IssueState, len(rows))
	for i, r := range rows {
		out[i] = r.state()
	}
	return out, nil
}

// KeysWithNode returns the key results whose units include node or link to it.
func (v KRView) KeysWithNode(ctx context.Context, node string) ([]string, error) {
	var out []string
	if err := v.q.SelectContext(ctx, &out, `SELECT kr_key FROM kr_nodes WHERE node = ?
		UNION SELECT kr_key FROM kr_links WHERE b = ?`, node, node); err != nil {
		return nil, fmt.Errorf("key results of %s: %w", node, err)
	}
	return out, nil
}

// ScopeHasSource reports whether any issue in krKey's scope is from source.
func (v KRView) ScopeHasSource(ctx context.Context, krKey, source string) (bool, error) {
	var ok bool
	err := v.q.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM kr_issues k JOIN issue_state i ON i.unit = k.unit JOIN events e ON e.id = i.event_id
		WHERE k.kr_key = ? AND e.source = ?)`, krKey, source)
	if err != nil {
		return false, fmt.Errorf("sources of %s: %w", krKey, err)
	}
	return ok, nil
}

// MatchedEvents returns the stored events behind krKey's matches in
// [from, to), oldest first (the four-keys rates join deploys, incidents and
// reverts on fields a match row does not keep).
func (v KRView) MatchedEvents(ctx context.Context, krKey string, from, to time.Time) ([]event.Event, error) {
	var rows []storedEvent
	err := v.q.SelectContext(ctx, &rows, `SELECT e.id, e.source, e.kind, e.occurred_at, e.actor_handle, e.repo, e.unit, e.title, e.url, e.body
		FROM kr_matches m JOIN events e ON e.id = m.event_id
		WHERE m.kr_key = ? AND m.occurred_at >= ? AND m.occurred_at < ? ORDER BY m.occurred_at, m.event_id`,
		krKey, fromMS(from), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("matched events of %s: %w", krKey, err)
	}
	out := make([]event.Event, len(rows))
	for i, r := range rows {
		if out[i], err = r.event(); err != nil {
			return nil, fmt.Errorf("matched events of %s: %w", krKey, err)
		}
	}
	return out, nil
}

// IssueEventsBefore returns the stored events, occurred before at, of the
// issues tied to krKey (in its ratio scope, among its units, or linked by
// them; issues goalpost holds a state for), by unit, then oldest first in
// the order they were stored: the history from which the engine reads
// each issue's state as of at (a closed week's blocked items).
func (v KRView) IssueEventsBefore(ctx context.Context, krKey string, at time.Time) ([]event.Event, error) {
	var rows []storedEvent
	err := v.q.SelectContext(ctx, &rows, `SELECT e.id, e.source, e.kind, e.occurred_at, e.actor_handle, e.repo, e.unit, e.title, e.url, e.body
		FROM events e JOIN issue_state i ON i.unit = e.unit
		WHERE e.issue = 1 AND e.occurred_at < ? AND e.unit IN (SELECT unit FROM kr_issues WHERE kr_key = ?
			UNION SELECT node FROM kr_nodes WHERE kr_key = ? UNION SELECT b FROM kr_links WHERE kr_key = ?)
		ORDER BY e.unit, e.occurred_at, e.stored_seq`, at.UnixMilli(), krKey, krKey, krKey)
	if err != nil {
		return nil, fmt.Errorf("issue history of %s: %w", krKey, err)
	}
	out := make([]event.Event, len(rows))
	for i, r := range rows {
		if out[i], err = r.event(); err != nil {
			return nil, fmt.Errorf("issue history of %s: %w", krKey, err)
		}
	}
	return out, nil
}
