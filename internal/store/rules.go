package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// KRTx is the key-result side of one transaction: matches, units, issue
// state, key-result state, snapshots. Its statements are prepared once per
// transaction (see Tx.stmt).
type KRTx struct {
	tx *Tx
}

// KR returns the key-result writer for t.
func (t *Tx) KR() *KRTx { return &KRTx{tx: t} }

// Close is kept for callers' symmetry; the transaction releases statements.
func (k *KRTx) Close() {}

func (k *KRTx) stmt(ctx context.Context, q string) (*sqlx.Stmt, error) { return k.tx.stmt(ctx, q) }

func (k *KRTx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	s, err := k.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(steady(ctx), args...)
}

// GetContext implements querier with prepared statements.
func (k *KRTx) GetContext(ctx context.Context, dest any, q string, args ...any) error {
	s, err := k.stmt(ctx, q)
	if err != nil {
		return err
	}
	return s.GetContext(steady(ctx), dest, args...)
}

// SelectContext implements querier with prepared statements.
func (k *KRTx) SelectContext(ctx context.Context, dest any, q string, args ...any) error {
	s, err := k.stmt(ctx, q)
	if err != nil {
		return err
	}
	return s.SelectContext(steady(ctx), dest, args...)
}

// QueryxContext implements querier with prepared statements.
func (k *KRTx) QueryxContext(ctx context.Context, q string, args ...any) (*sqlx.Rows, error) {
	s, err := k.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.QueryxContext(steady(ctx), args...)
}

// KeysWithNode is View().KeysWithNode.
func (k *KRTx) KeysWithNode(ctx context.Context, node string) ([]string, error) {
	return k.View().KeysWithNode(ctx, node)
}

// View reads key-result data inside the transaction (seeing its writes).
func (k *KRTx) View() KRView { return KRView{q: k, d: k.tx.st.db.dialect} }

// MatchRow is one event matched by one key result's rule. A match row
// stores the key, the event id, the unit, the time, the value and the rule
// version; the other fields are the event's, read from it (ActorHandle is
// the handle, which the engine maps to a person when it shows the row).
type MatchRow struct {
	KRKey       string
	EventID     string
	Unit        string // the event's unit, or its id when it has none
	Source      string
	Kind        string
	OccurredAt  time.Time
	Value       *float64
	Title       string
	URL         string
	ActorHandle string
	RuleVersion string
}

// addSource records that krKey has a match from source recorded by
// version of its rule, once per transaction.
func (k *KRTx) addSource(ctx context.Context, krKey, source, version string) error {
	key := [3]string{krKey, source, version}
	if k.tx.sources[key] {
		return nil
	}
	if _, err := k.exec(ctx, `INSERT INTO kr_sources (kr_key, source, rule_version) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		krKey, source, version); err != nil {
		return fmt.Errorf("sources of %s: %w", krKey, err)
	}
	if k.tx.sources == nil {
		k.tx.sources = map[[3]string]bool{}
	}
	k.tx.sources[key] = true
	return nil
}

// groupUnits records that unit was matched for krKey and that it links the
// units in links (a PR's issue keys), and returns unit's group and whether
// the group is new. Matched units tied by a link — either way round,
// whichever was matched first — share a group, and a group counts once. A
// link to a unit the key result never matched ties nothing: two PRs naming
// the same issue stay two units unless the issue itself matched.
func (k *KRTx) groupUnits(ctx context.Context, krKey, unit string, links []string) (string, bool, error) {
	links = slices.DeleteFunc(uniq(links), func(l string) bool { return l == unit })
	for _, l := range links {
		if _, err := k.exec(ctx, `INSERT INTO kr_links (kr_key, a, b) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, krKey, unit, l); err != nil {
			return "", false, fmt.Errorf("link %s → %s: %w", unit, l, err)
		}
	}
	var near []struct {
		Link bool   `db:"link"`
		Name string `db:"name"`
	}
	// The units linking to unit, and unit's own group: one query.
	if err := k.SelectContext(ctx, &near, `SELECT 1 AS link, a AS name FROM kr_links WHERE kr_key = ? AND b = ?
		UNION ALL SELECT 0 AS link, grp AS name FROM kr_nodes WHERE kr_key = ? AND node = ?`, krKey, unit, krKey, unit); err != nil {
		return "", false, fmt.Errorf("links to %s: %w", unit, err)
	}
	have := map[string]string{}
	related := links
	for _, n := range near {
		if n.Link {
			related = append(related, n.Name)
		} else {
			have[unit] = n.Name
		}
	}
	if len(related) > 0 {
		var err error
		if have, err = k.groupsOf(ctx, krKey, uniq(append([]string{unit}, related...))); err != nil {
			return "", false, err
		}
	}
	target := unit
	if len(have) > 0 {
		target = slices.Min(slices.Collect(maps.Values(have)))
	}
	merged := map[string]bool{target: true}
	for _, g := range have {
		if merged[g] {
			continue
		}
		merged[g] = true
		if _, err := k.exec(ctx, `UPDATE kr_nodes SET grp = ? WHERE kr_key = ? AND grp = ?`, target, krKey, g); err != nil {
			return "", false, fmt.Errorf("merge units %s: %w", krKey, err)
		}
		if err := k.mergePoints(ctx, krKey, g, target); err != nil {
			return "", false, err
		}
	}
	if _, ok := have[unit]; !ok {
		if _, err := k.exec(ctx, `INSERT INTO kr_nodes (kr_key, node, grp) VALUES (?, ?, ?)`, krKey, unit, target); err != nil {
			return "", false, fmt.Errorf("add unit %s/%s: %w", krKey, unit, err)
		}
	}
	return target, len(have) == 0, nil
}

func (k *KRTx) groupsOf(ctx context.Context, krKey string, nodes []string) (map[string]string, error) {
	have := map[string]string{}
	if len(nodes) == 1 {
		var g string
		err := k.GetContext(ctx, &g, `SELECT grp FROM kr_nodes WHERE kr_key = ? AND node = ?`, krKey, nodes[0])
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return nil, fmt.Errorf("units of %s: %w", krKey, err)
		default:
			have[nodes[0]] = g
		}
		return have, nil
	}
	var rows []struct{ Node, Grp string }
	q := `SELECT node, grp FROM kr_nodes WHERE kr_key = ? AND node IN (?` + strings.Repeat(",?", len(nodes)-1) + `)`
	args := []any{krKey}
	for _, n := range nodes {
		args = append(args, n)
	}
	if err := k.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("units of %s: %w", krKey, err)
	}
	for _, r := range rows {
		have[r.Node] = r.Grp
	}
	return have, nil
}

func uniq(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// IssueState is the latest known state of one issue.
type IssueState struct {
	Unit           string
	Source         string
	EventID        string
	Kind           string
	OccurredAt     time.Time
	StatusCategory string // new | indeterminate | done
	Canceled       bool
	Blocked        bool
	DoneAt         time.Time // when it became done; zero when not done
	Title          string
	URL            string
	Actor          string
	// Deleted marks a tombstone: the issue was deleted in its tracker. It
	// has no status, is in no ratio scope and is never blocked.
	Deleted bool
}

// UpsertIssue saves st as the issue's state unless a later state is already
// stored; it reports whether st was applied. At the same time a deletion
// wins: a tombstone is replaced only by a strictly newer state, so a
// redelivered or late event cannot bring a deleted issue back. DoneAt is
// kept from the stored state while the issue stays done.
func (k *KRTx) UpsertIssue(ctx context.Context, st IssueState) (bool, error) {
	res, err := k.exec(ctx, `INSERT INTO issue_state
		(unit, event_id, occurred_at, status_category, canceled, blocked, done_at, actor, deleted)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (unit) DO UPDATE SET
			event_id = excluded.event_id, occurred_at = excluded.occurred_at, status_category = excluded.status_category,
			canceled = excluded.canceled, blocked = excluded.blocked,
			done_at = CASE WHEN excluded.status_category != 'done' THEN 0
				WHEN issue_state.status_category = 'done' AND issue_state.done_at > 0 THEN issue_state.done_at
				ELSE excluded.done_at END,
			actor = excluded.actor, deleted = excluded.deleted
		WHERE excluded.occurred_at > issue_state.occurred_at
			OR (excluded.occurred_at = issue_state.occurred_at AND (excluded.deleted = 1 OR issue_state.deleted = 0))`,
		st.Unit, st.EventID, st.OccurredAt.UnixMilli(), st.StatusCategory,
		flag(st.Canceled), flag(st.Blocked), ms(st.DoneAt), st.Actor, flag(st.Deleted))
	if err != nil {
		return false, fmt.Errorf("upsert issue %s: %w", st.Unit, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	return true, k.syncScope(ctx, st.Unit)
}

// SetIssueScope makes krKeys exactly the ratio key results whose scope holds
// unit, and returns every key result whose scope gained or kept or lost it.
// The ratios' done and total counts follow (see syncScope).
func (k *KRTx) SetIssueScope(ctx context.Context, unit string, krKeys []string) ([]string, error) {
	var have []scopeRow
	if err := k.SelectContext(ctx, &have, `SELECT `+scopeCols+` FROM kr_issues WHERE unit = ?`, unit); err != nil {
		return nil, fmt.Errorf("scope of %s: %w", unit, err)
	}
	keys := make([]string, 0, len(have)+len(krKeys))
	for _, row := range have {
		keys = append(keys, row.KRKey)
		if slices.Contains(krKeys, row.KRKey) {
			continue
		}
		if _, err := k.exec(ctx, `DELETE FROM kr_issues WHERE kr_key = ? AND unit = ?`, row.KRKey, unit); err != nil {
			return nil, fmt.Errorf("scope of %s: %w", unit, err)
		}
		if err := k.addRatio(ctx, row.KRKey, scopeRow{}, row); err != nil {
			return nil, err
		}
	}
	for _, key := range krKeys {
		if slices.Contains(keys, key) {
			continue
		}
		if _, err := k.exec(ctx, `INSERT INTO kr_issues (kr_key, unit) VALUES (?, ?)`, key, unit); err != nil {
			return nil, fmt.Errorf("scope of %s: %w", unit, err)
		}
	}
	return uniq(append(keys, krKeys...)), k.syncScope(ctx, unit)
}

// SaveState stores a key result's latest result and fingerprint.
func (k *KRTx) SaveState(ctx context.Context, krKey, fingerprint string, result []byte, now time.Time) error {
	_, err := k.exec(ctx, `INSERT INTO kr_state (kr_key, fingerprint, result, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (kr_key) DO UPDATE SET fingerprint = excluded.fingerprint, result = excluded.result, updated_at = excluded.updated_at`,
		krKey, fingerprint, string(result), now.UnixMilli())
	if err != nil {
		return fmt.Errorf("save state %s: %w", krKey, err)
	}
	return nil
}

// DeleteState forgets a key result that is no longer configured.
func (k *KRTx) DeleteState(ctx context.Context, krKey string) error {
	if _, err := k.exec(ctx, `DELETE FROM kr_state WHERE kr_key = ?`, krKey); err != nil {
		return fmt.Errorf("delete state %s: %w", krKey, err)
	}
	return nil
}

// Snapshot is a key result's value at one moment.
type Snapshot struct {
	KRKey         string
	At            time.Time
	Current       float64
	Progress      float64
	Score         float64
	Status        string
	NoData        bool
	EvidenceTotal int
	RuleVersion   string
}

// InsertSnapshot records s (a later snapshot in the same millisecond replaces it).
func (k *KRTx) InsertSnapshot(ctx context.Context, s Snapshot) error {
	_, err := k.exec(ctx, `INSERT INTO kr_snapshots
		(kr_key, at, current, progress, score, status, no_data, evidence_total, rule_version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kr_key, at) DO UPDATE SET current = excluded.current, progress = excluded.progress,
			score = excluded.score, status = excluded.status, no_data = excluded.no_data,
			evidence_total = excluded.evidence_total, rule_version = excluded.rule_version`,
		s.KRKey, s.At.UnixMilli(), s.Current, s.Progress, s.Score, s.Status, flag(s.NoData), s.EvidenceTotal, s.RuleVersion)
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", s.KRKey, err)
	}
	return nil
}

// SetManual records a manual key result's value.
func (k *KRTx) SetManual(ctx context.Context, krKey string, value float64, by, note string, at time.Time) error {
	_, err := k.exec(ctx, `INSERT INTO manual_values (kr_key, set_at, value, set_by, note) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (kr_key, set_at) DO UPDATE SET value = excluded.value, set_by = excluded.set_by, note = excluded.note`,
		krKey, at.UnixMilli(), value, by, note)
	if err != nil {
		return fmt.Errorf("set manual %s: %w", krKey, err)
	}
	return nil
}

// BigCache gives this transaction's SQLite connection a 64 MiB page cache (for a
// replay, which writes far more than the default 2 MiB holds) and returns a
// func that restores the default.
func (k *KRTx) BigCache(ctx context.Context) (restore func(), err error) {
	if k.tx.st.db.dialect != sqliteDialect {
		return func() {}, nil // PostgreSQL's shared buffers are the server's
	}
	if _, err := k.tx.tx.ExecContext(ctx, `PRAGMA cache_size = -65536`); err != nil {
		return nil, fmt.Errorf("cache size: %w", err)
	}
	return func() { _, _ = k.tx.tx.ExecContext(ctx, `PRAGMA cache_size = -2000`) }, nil
}

// ResetDerived deletes everything derived from events (matches, units,
// issue state, scopes) so that a replay can rebuild it. Key-result state,
// snapshots and manual values are kept.
func (k *KRTx) ResetDerived(ctx context.Context) error {
	k.tx.windows, k.tx.sources = nil, nil
	for _, table := range []string{"kr_matches", "kr_sources", "kr_nodes", "kr_links", "issue_state", "kr_issues",
		"kr_window", "kr_points", "kr_ratio"} {
		if _, err := k.tx.tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("reset %s: %w", table, err)
		}
	}
	return nil
}

// flag is a boolean as the INTEGER 0 or 1 the tables keep (portable: no
// boolean column type in SQLite).
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
