package event

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ok := Event{ID: "github:pr:acme/api#1:merged", Source: SourceGitHub, Kind: KindPullRequestMerged, OccurredAt: time.Now()}
	tests := []struct {
		name    string
		mutate  func(*Event)
		wantErr string
	}{
		{"complete", func(*Event) {}, ""},
		{"no id", func(e *Event) { e.ID = "" }, "missing id"},
		{"source with a dot breaks the subject", func(e *Event) { e.Source = "git.hub" }, "bad source"},
		{"wildcard in kind", func(e *Event) { e.Kind = "pull_request.>" }, "bad kind"},
		{"no time", func(e *Event) { e.OccurredAt = time.Time{} }, "missing occurred_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.mutate(&e)
			err := e.Validate()
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestNormalizeAndSubject(t *testing.T) {
	syd, _ := time.LoadLocation("Australia/Sydney")
	e := Event{Source: "github", Kind: "pull_request.merged", OccurredAt: time.Date(2026, 11, 2, 9, 0, 0, 0, syd),
		Labels: []string{" perf ", "", "auth"}, Links: []string{""}}
	e.Normalize()
	if e.OccurredAt.Location() != time.UTC || len(e.Labels) != 2 || e.Labels[0] != "perf" || e.Links != nil {
		t.Fatalf("not normalized: %+v", e)
	}
	if got := e.Subject("goalpost.events"); got != "goalpost.events.github.pull_request.merged" {
		t.Fatalf("subject %q", got)
	}
}
