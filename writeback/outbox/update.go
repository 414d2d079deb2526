package outbox

import (
	"encoding/json"
	"fmt"
	"time"
)

// UpdateVersion is the version of Update this goalpost writes and reads.
// Bump it (and teach DecodeUpdate the old one, or migrate the stored rows)
// when a field changes meaning or goes away; adding a field does not need a
// bump.
const UpdateVersion = 1

// Update is what a key-result sink (Notion, Linear, Asana) receives: where
// one key result stands, as queued in the outbox. It is persisted (the
// outbox payload, JSON), so it carries a version, and it holds only what a
// goal page shows: the engine's richer result stays in the engine.
//
// Stale: while a source the key result depends on is failing, the numbers
// are the last ones computed with healthy sources and Status is stale.
type Update struct {
	Version   int     `json:"v"`
	KRKey     string  `json:"kr_key"`
	Title     string  `json:"title"`
	Objective string  `json:"objective"`
	Type      string  `json:"type"`
	Current   float64 `json:"current"`
	Baseline  float64 `json:"baseline"`
	Target    float64 `json:"target"`
	Unit      string  `json:"unit,omitempty"` // display unit, e.g. "min", "%"
	Progress  float64 `json:"progress"`       // 0..1
	// Status is a rules status: on_track, at_risk, off_track, done, stale.
	Status      string    `json:"status"`
	EvaluatedAt time.Time `json:"evaluated_at"`
	RuleVersion string    `json:"rule_version"`
	// NoData: nothing to compute a value from yet; Current shows the
	// baseline and sinks write "no data", never a zero.
	NoData bool `json:"no_data,omitempty"`
	// Evidence holds the most recent items behind the value (capped);
	// EvidenceTotal is how many there are in all.
	Evidence      []Evidence `json:"evidence,omitempty"`
	EvidenceTotal int        `json:"evidence_total,omitempty"`
	// Blocked are the linked items flagged blocked.
	Blocked []Evidence `json:"blocked,omitempty"`
}

// Evidence is one item behind a number, with a link.
type Evidence struct {
	EventID     string    `json:"event_id"`
	Unit        string    `json:"unit"`
	Kind        string    `json:"kind"`
	Title       string    `json:"title,omitempty"`
	URL         string    `json:"url,omitempty"`
	Actor       string    `json:"actor,omitempty"`
	OccurredAt  time.Time `json:"occurred_at"`
	Value       *float64  `json:"value,omitempty"`
	RuleVersion string    `json:"rule_version"`
}

// Encode returns u as stored in the outbox, with the current version.
func (u Update) Encode() ([]byte, error) {
	u.Version = UpdateVersion
	b, err := json.Marshal(u)
	if err != nil {
		return nil, fmt.Errorf("encode update %s: %w", u.KRKey, err)
	}
	return b, nil
}

// DecodeUpdate reads an outbox payload written by Encode. A payload of
// another version is an error that says so.
func DecodeUpdate(b []byte) (Update, error) {
	var u Update
	if err := json.Unmarshal(b, &u); err != nil {
		return Update{}, fmt.Errorf("decode update: %w", err)
	}
	if u.Version != UpdateVersion {
		return Update{}, fmt.Errorf("decode update %s: version %d, this goalpost reads version %d", u.KRKey, u.Version, UpdateVersion)
	}
	return u, nil
}
