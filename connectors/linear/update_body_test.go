package linear

import (
	"github.com/goalpost/goalpost/writeback/outbox"
	"testing"
	"time"

	"github.com/goalpost/goalpost/rules"
)

func TestBodyStatus(t *testing.T) {
	body := func(status string, noData bool) string {
		return UpdateBody(outbox.Update{Title: "Ship · passkeys", Current: 1, Target: 4, Status: status, NoData: noData,
			EvaluatedAt: time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC), RuleVersion: "v1"})
	}
	tests := []struct {
		name   string
		body   string
		status string // "" for not readable
	}{
		{"on track", body(rules.StatusOnTrack, false), rules.StatusOnTrack},
		{"at risk", body(rules.StatusAtRisk, false), rules.StatusAtRisk},
		{"off track", body(rules.StatusOffTrack, false), rules.StatusOffTrack},
		{"done", body(rules.StatusDone, false), rules.StatusDone},
		{"no data yet", body(rules.StatusAtRisk, true), rules.StatusAtRisk},
		{"trailing spaces and CRLF", "**Current 1 / Target 4** · 25% · on track  \r\n\r\nmore", rules.StatusOnTrack},
		{"stale has no health", body(rules.StatusStale, false), ""},
		{"someone else's update", "Going well · on track", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := bodyStatus(tt.body)
			if got != tt.status || ok != (tt.status != "") {
				t.Errorf("bodyStatus = %q, %v; want %q", got, ok, tt.status)
			}
		})
	}
}
