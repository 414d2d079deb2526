package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/pipeline/event"
)

func TestRequires(t *testing.T) {
	tests := []struct {
		name                  string
		expr                  string
		sources, kinds, repos []string // nil: unconstrained
	}{
		{"source and kind", `source == "github" && kind == "change.shipped"`, []string{"github"}, []string{"change.shipped"}, nil},
		{"literal first", `"jira" == source`, []string{"jira"}, nil, nil},
		{"kind in list", `kind in ["a", "b"] && has_label("x")`, nil, []string{"a", "b"}, nil},
		{"or of kinds", `kind == "a" || kind == "b"`, nil, []string{"a", "b"}, nil},
		{"or with an unconstrained side", `kind == "a" || has_label("x")`, nil, nil, nil},
		{"nested and/or", `source == "github" && (kind == "a" || kind == "b")`, []string{"github"}, []string{"a", "b"}, nil},
		{"and-word", `source == "linear" and kind == "issue.completed"`, []string{"linear"}, []string{"issue.completed"}, nil},
		{"negation is unconstrained", `source != "github"`, nil, nil, nil},
		{"contradiction", `kind == "a" && kind == "b"`, nil, []string{}, nil},
		{"repo", `repo == "acme/api"`, nil, nil, []string{"acme/api"}},
		{"repo list and kind", `kind == "a" && repo in ["x/y", "x/z"]`, nil, []string{"a"}, []string{"x/y", "x/z"}},
		{"other fields", `environment == "production"`, nil, nil, nil},
		{"a value listed twice", `source in ["jira", "jira"]`, []string{"jira"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, req, err := compileExpr(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if !sameSet(req[fieldSource], tt.sources) || !sameSet(req[fieldKind], tt.kinds) || !sameSet(req[fieldRepo], tt.repos) {
				t.Errorf("requires(%s) = %v; want %v, %v, %v", tt.expr, req, tt.sources, tt.kinds, tt.repos)
			}
		})
	}
}

func sameSet(a constraint, b []string) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	x, y := slices.Clone([]string(a)), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func TestMatch(t *testing.T) {
	set, err := Compile([]Objective{obj("O1",
		count("shipped-perf", `kind == "change.shipped" && has_label("perf")`),
		count("jira-done", `source == "jira" && kind == "issue.completed"`),
		count("by-team", `team == "web" && actor != ""`),
		count("slow", `kind == "change.shipped" && numbers.lead_time_seconds > 600`),
		count("auth-link", `has_link("auth-1") && label_matches("team-*")`),
		KeyResult{Key: "lead", Type: TypeMetric, Aggregate: AggMedian, Field: "lead_time_seconds", DivideBy: 60, Target: 5, Baseline: 10, Match: `kind == "change.shipped"`},
	)})
	if err != nil {
		t.Fatal(err)
	}
	shipped := event.Event{ID: "1", Source: "github", Kind: event.KindChangeShipped, Actor: "alice",
		Labels: []string{"Perf", "team-web"}, Links: []string{"AUTH-1"}, Numbers: map[string]float64{"lead_time_seconds": 900}}
	tests := []struct {
		name string
		ev   event.Event
		team string
		want []string
	}{
		{"shipped perf change by a web engineer", shipped, "web", []string{"shipped-perf", "by-team", "slow", "auth-link", "lead"}},
		{"no lead time: no metric value, slow is false", event.Event{ID: "2", Source: "github", Kind: event.KindChangeShipped}, "", []string{"lead"}},
		{"jira issue completed", event.Event{ID: "3", Source: "jira", Kind: event.KindIssueCompleted, Actor: "bob"}, "api", []string{"jira-done"}},
		{"linear issue completed", event.Event{ID: "4", Source: "linear", Kind: event.KindIssueCompleted}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range set.Match(&tt.ev, tt.team, func(r *Rule, err error) { t.Errorf("%s: %v", r.Key, err) }) {
				got = append(got, m.Rule.Key)
				if m.Rule.Key == "lead" && m.Value != nil && *m.Value != 15 {
					t.Errorf("lead value = %v, want 900 s / 60 = 15", *m.Value)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("matched %v, want %v", got, tt.want)
			}
		})
	}
}

// A value listed twice files the rule once: a rule matched twice would be
// recorded twice (a ratio's scope row twice fails the whole batch).
func TestMatchValueListedTwice(t *testing.T) {
	set, err := Compile([]Objective{obj("O1",
		KeyResult{Key: "epic", Type: TypeRatio, Target: 100, Match: `source in ["jira", "jira"] && kind in ["issue.updated", "issue.updated"]`})})
	if err != nil {
		t.Fatal(err)
	}
	ev := event.Event{ID: "1", Source: "jira", Kind: event.KindIssueUpdated, Unit: "A-1", Attrs: map[string]string{"status_category": "new"}}
	if got := set.Match(&ev, "", nil); len(got) != 1 {
		t.Errorf("matched %d times, want once", len(got))
	}
	if n := set.Candidates("jira", event.KindIssueUpdated, "", true); n != 1 {
		t.Errorf("checked against %d rules, want 1", n)
	}
}

func TestMatchUsesTheIndex(t *testing.T) {
	var krs []KeyResult
	for i := range 200 {
		switch i % 4 {
		case 0:
			krs = append(krs, count(fmt.Sprintf("k%d", i), fmt.Sprintf(`source == "github" && kind == "change.shipped" && repo == "r%d"`, i)))
		case 1:
			krs = append(krs, count(fmt.Sprintf("k%d", i), fmt.Sprintf(`source == "jira" && kind == "issue.completed" && repo == "P%d"`, i)))
		case 2:
			krs = append(krs, count(fmt.Sprintf("k%d", i), fmt.Sprintf(`kind in ["pull_request.merged", "change.shipped"] && repo == "r%d"`, i)))
		default:
			krs = append(krs, count(fmt.Sprintf("k%d", i), fmt.Sprintf(`source == "linear" && repo == "T%d"`, i)))
		}
	}
	set, err := Compile([]Objective{{Key: "O", Period: "2026-Q4", KeyResults: krs}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		source, kind, repo string
		want               int
	}{
		{"github", event.KindChangeShipped, "r0", 1},
		{"github", event.KindChangeShipped, "r2", 1},
		{"github", event.KindChangeShipped, "elsewhere", 0},
		{"jira", event.KindIssueCompleted, "P1", 1},
		{"jira", event.KindIssueUpdated, "P1", 0},
		{"linear", event.KindIssueCreated, "T3", 1},
	}
	for _, tt := range tests {
		if n := set.Candidates(tt.source, tt.kind, tt.repo, false); n != tt.want {
			t.Errorf("%s %s in %s is checked against %d of 200 rules, want %d", tt.source, tt.kind, tt.repo, n, tt.want)
		}
	}
}

func TestWhy(t *testing.T) {
	set, err := Compile([]Objective{obj("O1",
		count("perf", `source == "github" && kind == "change.shipped" && has_label("perf") && environment == "production"`))})
	if err != nil {
		t.Fatal(err)
	}
	r := set.Rules()[0]
	tests := []struct {
		name string
		ev   event.Event
		ok   bool
		want string
	}{
		{"wrong source", event.Event{Source: "jira", Kind: "change.shipped"}, false, `requires source [github]`},
		{"wrong kind", event.Event{Source: "github", Kind: "pull_request.merged"}, false, `requires kind [change.shipped]`},
		{"failing condition", event.Event{Source: "github", Kind: "change.shipped", Labels: []string{"perf"}, Environment: "staging"}, false, `environment == "production"`},
		{"first failing condition", event.Event{Source: "github", Kind: "change.shipped", Environment: "staging"}, false, `has_label("perf")`},
		{"matches", event.Event{Source: "github", Kind: "change.shipped", Labels: []string{"perf"}, Environment: "production"}, true, "matches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, why := set.Why(r, NewEnv(&tt.ev, ""))
			if ok != tt.ok || !strings.Contains(why, tt.want) {
				t.Errorf("Why = %v, %q; want %v, …%s…", ok, why, tt.ok, tt.want)
			}
		})
	}
}
