package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// KRState is a key result's last stored result.
type KRState struct {
	KRKey       string `db:"kr_key"`
	Fingerprint string `db:"fingerprint"`
	Result      []byte `db:"result"` // rules.Result as JSON
	UpdatedAt   int64  `db:"updated_at"`
}

// State returns krKey's stored state, or ErrNotFound.
func (v KRView) State(ctx context.Context, krKey string) (KRState, error) {
	var st KRState
	err := v.q.GetContext(ctx, &st, `SELECT kr_key, fingerprint, result, updated_at FROM kr_state WHERE kr_key = ?`, krKey)
	if err != nil {
		return st, fmt.Errorf("state %s: %w", krKey, notFound(err))
	}
	return st, nil
}

// States returns every stored key-result state, by key.
func (v KRView) States(ctx context.Context) ([]KRState, error) {
	var out []KRState
	if err := v.q.SelectContext(ctx, &out, `SELECT kr_key, fingerprint, result, updated_at FROM kr_state ORDER BY kr_key`); err != nil {
		return nil, fmt.Errorf("states: %w", err)
	}
	return out, nil
}

type snapshotRow struct {
	KRKey         string  `db:"kr_key"`
	At            int64   `db:"at"`
	Current       float64 `db:"current"`
	Progress      float64 `db:"progress"`
	Score         float64 `db:"score"`
	Status        string  `db:"status"`
	NoData        bool    `db:"no_data"`
	EvidenceTotal int     `db:"evidence_total"`
	RuleVersion   string  `db:"rule_version"`
}

func (r snapshotRow) snapshot() Snapshot {
	return Snapshot{KRKey: r.KRKey, At: time.UnixMilli(r.At).UTC(), Current: r.Current, Progress: r.Progress,
		Score: r.Score, Status: r.Status, NoData: r.NoData, EvidenceTotal: r.EvidenceTotal, RuleVersion: r.RuleVersion}
}

const snapshotCols = `kr_key, at, current, progress, score, status, no_data, evidence_total, rule_version`

// SnapshotAt returns krKey's latest snapshot taken at or before t, or
// ErrNotFound.
func (v KRView) SnapshotAt(ctx context.Context, krKey string, t time.Time) (Snapshot, error) {
	var r snapshotRow
	err := v.q.GetContext(ctx, &r, `SELECT `+snapshotCols+` FROM kr_snapshots WHERE kr_key = ? AND at <= ?
		ORDER BY at DESC LIMIT 1`, krKey, t.UnixMilli())
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot %s: %w", krKey, notFound(err))
	}
	return r.snapshot(), nil
}

// Snapshots returns krKey's snapshots in [from, to), oldest first.
func (v KRView) Snapshots(ctx context.Context, krKey string, from, to time.Time) ([]Snapshot, error) {
	var rows []snapshotRow
	err := v.q.SelectContext(ctx, &rows, `SELECT `+snapshotCols+` FROM kr_snapshots WHERE kr_key = ? AND at >= ? AND at < ?
		ORDER BY at`, krKey, fromMS(from), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("snapshots %s: %w", krKey, err)
	}
	out := make([]Snapshot, len(rows))
	for i, r := range rows {
		out[i] = r.snapshot()
	}
	return out, nil
}

// ManualValue is one value set by a person for a manual key result.
type ManualValue struct {
	KRKey string    `db:"kr_key"`
	SetAt time.Time `db:"-"`
	Value float64   `db:"value"`
	SetBy string    `db:"set_by"`
	Note  string    `db:"note"`
	At    int64     `db:"set_at"`
}

// Manual returns krKey's latest manual value set at or before t, or
// ErrNotFound.
func (v KRView) Manual(ctx context.Context, krKey string, t time.Time) (ManualValue, error) {
	var m ManualValue
	err := v.q.GetContext(ctx, &m, `SELECT kr_key, set_at, value, set_by, note FROM manual_values
		WHERE kr_key = ? AND set_at <= ? ORDER BY set_at DESC LIMIT 1`, krKey, t.UnixMilli())
	if err != nil {
		return m, fmt.Errorf("manual value %s: %w", krKey, notFound(err))
	}
	m.SetAt = time.UnixMilli(m.At).UTC()
	return m, nil
}

// ManualHistory returns every manual value of krKey set at or before t,
// newest first (empty when none).
func (v KRView) ManualHistory(ctx context.Context, krKey string, t time.Time) ([]ManualValue, error) {
	var ms []ManualValue
	err := v.q.SelectContext(ctx, &ms, `SELECT kr_key, set_at, value, set_by, note FROM manual_values
		WHERE kr_key = ? AND set_at <= ? ORDER BY set_at DESC`, krKey, t.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("manual values %s: %w", krKey, err)
	}
	for i := range ms {
		ms[i].SetAt = time.UnixMilli(ms[i].At).UTC()
	}
	return ms, nil
}

// IsNotFound reports whether err means a lookup found nothing.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
