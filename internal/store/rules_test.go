package store_test

import (
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
)

// UpsertIssue keeps the latest state of an issue; a deletion leaves a
// tombstone that only a strictly newer state replaces, and a deleted issue
// is in no ratio total and never blocked.
func TestUpsertIssueTombstone(t *testing.T) {
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	open := func(id string, h int) store.IssueState {
		return store.IssueState{Unit: "AUTH-1", Source: "jira", EventID: id, Kind: "issue.updated", OccurredAt: at(h),
			StatusCategory: "indeterminate", Blocked: true}
	}
	gone := func(id string, h int) store.IssueState {
		return store.IssueState{Unit: "AUTH-1", Source: "jira", EventID: id, Kind: "issue.deleted", OccurredAt: at(h), Deleted: true}
	}
	tests := []struct {
		name        string
		states      []store.IssueState
		wantApplied []bool
		wantEvent   string
		wantTotal   int
	}{
		{"deleted after an update", []store.IssueState{open("u1", 1), gone("d", 2)}, []bool{true, true}, "d", 0},
		{"an older update after the deletion", []store.IssueState{gone("d", 2), open("u1", 1)}, []bool{true, false}, "d", 0},
		{"an update in the deletion's millisecond", []store.IssueState{gone("d", 2), open("u2", 2)}, []bool{true, false}, "d", 0},
		{"a deletion in the update's millisecond", []store.IssueState{open("u2", 2), gone("d", 2)}, []bool{true, true}, "d", 0},
		{"restored by a newer state", []store.IssueState{gone("d", 2), open("u3", 3)}, []bool{true, true}, "u3", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openOutboxStore(t)
			err := st.InTx(t.Context(), func(tx *store.Tx) error {
				k := tx.KR()
				for i, is := range tt.states {
					applied, err := k.UpsertIssue(t.Context(), is)
					if err != nil {
						return err
					}
					if applied != tt.wantApplied[i] {
						t.Errorf("state %s applied = %v, want %v", is.EventID, applied, tt.wantApplied[i])
					}
					if applied && !is.Deleted {
						if _, err := k.SetIssueScope(t.Context(), is.Unit, []string{"epic"}); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			view := st.KRView()
			got, err := view.Issue(t.Context(), "AUTH-1")
			if err != nil {
				t.Fatal(err)
			}
			if got.EventID != tt.wantEvent || got.Deleted != (tt.wantEvent == "d") {
				t.Errorf("stored state %s (deleted %v), want %s", got.EventID, got.Deleted, tt.wantEvent)
			}
			if c, err := view.RatioCounts(t.Context(), "epic"); err != nil || c.Total != tt.wantTotal {
				t.Errorf("ratio total = %d (%v), want %d", c.Total, err, tt.wantTotal)
			}
			blocked, err := view.BlockedIssues(t.Context(), "epic")
			if err != nil || len(blocked) != tt.wantTotal {
				t.Errorf("blocked = %d (%v), want %d: a deleted issue is never blocked", len(blocked), err, tt.wantTotal)
			}
		})
	}
}
