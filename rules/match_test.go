package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/event"
)

func TestRequires(t *testing.T) {
	tests := []struct {
		name           string
		expr           string
		sources, kinds []string // nil: unconstrained
	}{
		{"source and kind", `source == "github" && kind == "change.shipped"`, []string{"github"}, []string{"change.shipped"}},
		{"literal first", `"jira" == source`, []string{"jira"}, nil},
		{"kind in list", `kind in ["a", "b"] && has_label("x")`, nil, []string{"a", "b"}},
		{"or of kinds", `kind == "a" || kind == "b"`, nil, []string{"a", "b"}},
		{"or with an unconstrained side", `kind == "a" || has_label("x")`, nil, nil},
		{"nested and/or", `source == "github" && (kind == "a" || kind == "b")`, []string{"github"}, []string{"a", "b"}},
		{"and-word", `source == "linear" and kind == "issue.completed"`, []string{"linear"}, []string{"issue.completed"}},
		{"negation is unconstrained", `source != "github"`, nil, nil},
		{"contradiction", `kind == "a" && kind == "b"`, nil, []string{}},
		{"other fields", `repo == "acme/api"`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s, k, err := compileExpr(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if !sameSet(s, tt.sources) || !sameSet(k, tt.kinds) {
				t.Errorf("requires(%s) = %v, %v; want %v, %v", tt.expr, s, k, tt.sources, tt.kinds)
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
	if n := set.Candidates("github", event.KindChangeShipped); n != 100 {
		t.Errorf("github change.shipped is checked against %d rules, want 100 (50 exact + 50 by kind)", n)
	}
	if n := set.Candidates("jira", event.KindIssueUpdated); n != 0 {
		t.Errorf("jira issue.updated is checked against %d rules, want 0", n)
	}
	if n := set.Candidates("linear", event.KindIssueCreated); n != 50 {
		t.Errorf("linear issue.created is checked against %d rules, want 50", n)
	}
}

func TestWhy(t *testing.T) {
	set, err := Compile([]Objective{obj("O1",
		count("perf", `source == "github" && kind == "change.shipped" && has_label("perf") && repo == "acme/api"`))})
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
		{"failing condition", event.Event{Source: "github", Kind: "change.shipped", Labels: []string{"perf"}, Repo: "acme/web"}, false, `repo == "acme/api"`},
		{"first failing condition", event.Event{Source: "github", Kind: "change.shipped", Repo: "acme/web"}, false, `has_label("perf")`},
		{"matches", event.Event{Source: "github", Kind: "change.shipped", Labels: []string{"perf"}, Repo: "acme/api"}, true, "matches"},
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

func TestParsePeriod(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		in         string
		start, end string
	}{
		{"2026-Q4", "2026-10-01T00:00:00+02:00", "2027-01-01T00:00:00+01:00"},
		{"2026-q1", "2026-01-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00"},
		{"2026-H2", "2026-07-01T00:00:00+02:00", "2027-01-01T00:00:00+01:00"},
		{"2027", "2027-01-01T00:00:00+01:00", "2028-01-01T00:00:00+01:00"},
	}
	for _, tt := range tests {
		s, e, err := ParsePeriod(tt.in, berlin)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if s.Format(time.RFC3339) != tt.start || e.Format(time.RFC3339) != tt.end {
			t.Errorf("%s = %s → %s, want %s → %s", tt.in, s.Format(time.RFC3339), e.Format(time.RFC3339), tt.start, tt.end)
		}
	}
	for _, bad := range []string{"2026-Q0", "2026-Q5", "2026-H3", "26-Q1", "Q4", "2026-X1", ""} {
		if _, _, err := ParsePeriod(bad, time.UTC); err == nil {
			t.Errorf("ParsePeriod(%q) succeeded", bad)
		}
	}
	s, e, err := ParseDates("2026-10-01", "2026-10-30", time.UTC)
	if err != nil || e.Sub(s) != 30*24*time.Hour {
		t.Errorf("ParseDates: %v → %v, %v (end is inclusive)", s, e, err)
	}
}

func TestParseWindow(t *testing.T) {
	tests := map[string]time.Duration{"28d": 28 * 24 * time.Hour, "4w": 28 * 24 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute, "": 0}
	for in, want := range tests {
		if got, err := ParseWindow(in); err != nil || got != want {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"d", "-3d", "soon", "0w"} {
		if _, err := ParseWindow(bad); err == nil {
			t.Errorf("ParseWindow(%q) succeeded", bad)
		}
	}
}
