package rules

import (
	"strings"
	"testing"

	"github.com/goalpost/goalpost/pipeline/event"
)

func TestLint(t *testing.T) {
	gh := Known{Sources: []string{event.SourceGitHub}, People: []string{"ana", "bo"},
		HasHandle: func(h string) bool { return h == "ana-gh" }}
	tests := []struct {
		name  string
		known Known
		kr    KeyResult
		owner string
		want  []string // substrings, one per finding; none: no finding
	}{
		{"a kind no connector produces, misspelt", gh, KeyResult{Match: `kind == "change.shiped"`},
			"ana", []string{`kind "change.shiped"; did you mean "change.shipped"?`}},
		{"a kind another connector produces", gh, KeyResult{Match: `kind in ["issue.completed", "change.shipped"]`},
			"ana", []string{`kind "issue.completed" (another connector does: configure it)`}},
		{"an attribute and a number", gh, KeyResult{Match: `attrs.bsae == "main" && num("lead_time_secnds") > 0`},
			"ana", []string{`attribute "bsae"; did you mean "base"?`, `number "lead_time_secnds"; did you mean "lead_time_seconds"?`}},
		{"a field", gh, KeyResult{Type: TypeMetric, Field: "lead_time", Match: `kind == "change.shipped"`},
			"ana", []string{`number "lead_time"; did you mean "lead_time_seconds"?`}},
		{"custom numbers are open", Known{Sources: []string{event.SourceJira}}, KeyResult{Field: "anything", Match: `kind == "issue.completed"`},
			"", nil},
		{"an owner who is not a person", gh, KeyResult{Match: `kind == "change.shipped"`},
			"ann", []string{`owner "ann" is not a person (a [[people]] key); did you mean "ana"?`}},
		{"an actor and a handle", gh, KeyResult{Match: `actor == "bob" || handle == "nobody"`},
			"bo", []string{`actor "bob" is not a person (a [[people]] key); did you mean "bo"?`, `handle "nobody" belongs to no person`}},
		{"all good", gh, KeyResult{Match: `kind == "change.shipped" && actor == "ana" && handle == "ana-gh" && attrs.base == "main"`},
			"ana", nil},
		{"no connectors, no people: nothing to check against", Known{}, KeyResult{Match: `kind == "nope"`, Owner: "x"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.kr.Key = "k"
			objs := []Objective{{Key: "o", Owner: tt.owner, KeyResults: []KeyResult{tt.kr}}}
			got := Lint(objs, tt.known)
			if len(got) != len(tt.want) {
				t.Fatalf("%d findings, want %d: %v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i].Error(), w) {
					t.Errorf("finding %q lacks %q", got[i], w)
				}
			}
		})
	}
}
