package engine

import (
	"slices"
	"testing"
)

func TestSourcesOfKinds(t *testing.T) {
	all := sourceNames()
	tests := []struct {
		name  string
		kinds []string
		want  []string
	}{
		{"any kind", nil, all},
		{"shipped changes", []string{"change.shipped"}, []string{"github", "gitlab"}},
		{"deploys", []string{"deployment.succeeded"}, []string{"deploy", "github", "gitlab"}},
		{"incidents", []string{"incident.resolved"}, []string{"incidentio", "pagerduty"}},
		{"issues", []string{"issue.completed", "issue.created"}, []string{"asana", "jira", "linear", "trello"}},
		{"an unknown kind could come from anywhere", []string{"pull_request.merged", "custom.thing"}, all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sourcesOfKinds(tt.kinds); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
