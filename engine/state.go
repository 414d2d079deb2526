package engine

import (
	"encoding/json"
	"fmt"

	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// StateVersion is the version of a key result's stored state (the result
// JSON in the store) this goalpost writes and reads. Bump it, with a
// migration of the stored rows, when a field changes meaning or goes away.
const StateVersion = 1

// storedState is a key result's stored state: its last result, versioned.
type storedState struct {
	Version int `json:"v"`
	rules.Result
}

// encodeState returns res as the engine stores it.
func encodeState(res rules.Result) ([]byte, error) {
	b, err := json.Marshal(storedState{Version: StateVersion, Result: res})
	if err != nil {
		return nil, fmt.Errorf("encode result %s: %w", res.KRKey, err)
	}
	return b, nil
}

// DecodeState reads a key result's stored state (store.KRState.Result). A
// state of another version (written by a newer goalpost) is an error that
// names both versions.
func DecodeState(b []byte) (rules.Result, error) {
	var st storedState
	if err := json.Unmarshal(b, &st); err != nil {
		return rules.Result{}, fmt.Errorf("decode stored result: %w", err)
	}
	if err := checkStateVersion(st.Version, st.KRKey); err != nil {
		return rules.Result{}, err
	}
	return st.Result, nil
}

// stateRuleVersion reads only the rule version of a stored state, without
// decoding its evidence (what ChangedRules needs at every start).
func stateRuleVersion(b []byte) (string, error) {
	var st struct {
		Version     int    `json:"v"`
		KRKey       string `json:"kr_key"`
		RuleVersion string `json:"rule_version"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return "", fmt.Errorf("decode stored result: %w", err)
	}
	return st.RuleVersion, checkStateVersion(st.Version, st.KRKey)
}

// checkStateVersion says why a stored state of another version cannot be read.
func checkStateVersion(v int, krKey string) error {
	if v != StateVersion {
		return fmt.Errorf("decode stored result %s: version %d, this goalpost reads version %d (written by another goalpost version)", krKey, v, StateVersion)
	}
	return nil
}

// updateOf is what the writeback sinks receive for res.
func updateOf(res rules.Result) outbox.Update {
	return outbox.Update{
		KRKey: res.KRKey, Title: res.Title, Objective: res.Objective, Type: res.Type,
		Current: res.Current, Baseline: res.Baseline, Target: res.Target, Unit: res.Unit,
		Progress: res.Progress, Status: res.Status, EvaluatedAt: res.EvaluatedAt, RuleVersion: res.RuleVersion,
		NoData: res.NoData, Evidence: evidenceOf(res.Evidence), EvidenceTotal: res.EvidenceTotal,
		Blocked: evidenceOf(res.Blocked),
	}
}

func evidenceOf(items []rules.Evidence) []outbox.Evidence {
	if items == nil {
		return nil
	}
	out := make([]outbox.Evidence, len(items))
	for i, e := range items {
		out[i] = outbox.Evidence(e)
	}
	return out
}
