package rules

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

func obj(key string, krs ...KeyResult) Objective {
	return Objective{Key: key, Title: key, Period: "2026-Q4", KeyResults: krs}
}

func count(key, match string) KeyResult {
	return KeyResult{Key: key, Type: TypeCount, Target: 10, Match: match}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name    string
		objs    []Objective
		wantKey string
		want    []string // substrings of the message
	}{
		{
			name:    "unknown field",
			objs:    []Objective{obj("O1", count("kr-a", `kind == "change.shipped" && lables == "x"`))},
			wantKey: "objectives[0].key_results[0].match",
			want:    []string{`key result "kr-a"`, `lables == "x"`, "unknown name lables", "column 29"},
		},
		{
			name:    "type error in a comparison",
			objs:    []Objective{obj("O1", KeyResult{}, count("kr-b", `source == 5`))},
			wantKey: "objectives[0].key_results[1].match",
			want:    []string{`key result "kr-b"`, "match `source == 5`", "mismatched types string and int", "column 8"},
		},
		{
			name:    "not a boolean",
			objs:    []Objective{obj("O1", count("kr-c", `title`))},
			wantKey: "objectives[0].key_results[0].match",
			want:    []string{`key result "kr-c"`, "expected bool, but got string"},
		},
		{
			name:    "position on a later line",
			objs:    []Objective{obj("O1", count("kr-d", "source == \"github\" &&\n  nope"))},
			wantKey: "objectives[0].key_results[0].match",
			want:    []string{"unknown name nope", "line 2, column 3"},
		},
		{
			name:    "unknown key result type",
			objs:    []Objective{obj("O1", KeyResult{Key: "kr-e", Type: "percent", Target: 1, Match: "true"})},
			wantKey: "objectives[0].key_results[0].type",
			want:    []string{`key result "kr-e"`, `unknown type "percent"`, "count, milestone, ratio, metric, manual"},
		},
		{
			name:    "duplicate key result key",
			objs:    []Objective{obj("O1", count("dup", "true")), obj("O2", count("dup", "true"))},
			wantKey: "objectives[1].key_results[0].key",
			want:    []string{`duplicate key result key "dup"`, "objectives[0].key_results[0]"},
		},
		{
			name:    "duplicate objective key",
			objs:    []Objective{obj("O1"), obj("O1")},
			wantKey: "objectives[1].key",
			want:    []string{`duplicate objective key "O1"`},
		},
		{
			name:    "bad period",
			objs:    []Objective{{Key: "O1", Period: "2026-Q5"}},
			wantKey: "objectives[0].period",
			want:    []string{`"2026-Q5"`},
		},
		{
			name:    "target equals baseline",
			objs:    []Objective{obj("O1", KeyResult{Key: "kr-f", Type: TypeCount, Baseline: 3, Target: 3, Match: "true"})},
			wantKey: "objectives[0].key_results[0].target",
			want:    []string{"target equals baseline"},
		},
		{
			name:    "unknown aggregate",
			objs:    []Objective{obj("O1", KeyResult{Key: "kr-g", Type: TypeMetric, Aggregate: "p99", Field: "x", Target: 1, Match: "true"})},
			wantKey: "objectives[0].key_results[0].aggregate",
			want:    []string{`unknown aggregate "p99"`},
		},
		{
			name:    "metric without field",
			objs:    []Objective{obj("O1", KeyResult{Key: "kr-h", Type: TypeMetric, Aggregate: AggMedian, Target: 1, Match: "true"})},
			wantKey: "objectives[0].key_results[0].field",
			want:    []string{"numeric field"},
		},
		{
			name:    "bad window",
			objs:    []Objective{obj("O1", KeyResult{Key: "kr-i", Type: TypeMetric, Aggregate: AggSum, Field: "x", Window: "soon", Target: 1, Match: "true"})},
			wantKey: "objectives[0].key_results[0].window",
			want:    []string{`window "soon"`},
		},
		{
			name:    "bad scope",
			objs:    []Objective{obj("O1", KeyResult{Key: "kr-j", Type: TypeRatio, Scope: "sprint:7", Target: 80})},
			wantKey: "objectives[0].key_results[0].scope",
			want:    []string{`scope "sprint:7"`},
		},
		{
			name:    "unknown canceled setting",
			objs:    []Objective{obj("O1", KeyResult{Key: "kr-l", Type: TypeRatio, Scope: "epic:A-1", Target: 80, Canceled: "dnoe"})},
			wantKey: "objectives[0].key_results[0].canceled",
			want:    []string{`canceled is excluded, done, open, got "dnoe"`, `did you mean "done"`},
		},
		{
			name:    "canceled on a count",
			objs:    []Objective{obj("O1", KeyResult{Key: "kr-m", Type: TypeCount, Target: 1, Match: "true", Canceled: "done"})},
			wantKey: "objectives[0].key_results[0].canceled",
			want:    []string{"ratio key results only"},
		},
		{
			name:    "unknown display",
			objs:    []Objective{obj("O1", KeyResult{Key: "kr-n", Type: TypeRatio, Scope: "epic:A-1", Target: 80, Display: "percentage"})},
			wantKey: "objectives[0].key_results[0].display",
			want:    []string{`display is percent, fraction, got "percentage"`, `did you mean "percent"`},
		},
		{
			name:    "unknown window_on",
			objs:    []Objective{obj("O1", KeyResult{Key: "kr-o", Type: TypeCount, Target: 1, Match: "true", WindowOn: "created"})},
			wantKey: "objectives[0].key_results[0].window_on",
			want:    []string{`window_on is occurred_at, created_at, got "created"`, `did you mean "created_at"`},
		},
		{
			name:    "window_on on a ratio",
			objs:    []Objective{obj("O1", KeyResult{Key: "kr-p", Type: TypeRatio, Scope: "epic:A-1", Target: 80, WindowOn: "created_at"})},
			wantKey: "objectives[0].key_results[0].window_on",
			want:    []string{"count and metric key results only"},
		},
		{
			name:    "missing match",
			objs:    []Objective{obj("O1", KeyResult{Key: "kr-k", Type: TypeCount, Target: 1})},
			wantKey: "objectives[0].key_results[0].match",
			want:    []string{"required"},
		},
		{
			name:    "unknown team time zone",
			objs:    []Objective{{Key: "O1", Period: "2026-Q4", TimeZone: "Mars/Olympus"}},
			wantKey: "objectives[0].time_zone",
			want:    []string{`"Mars/Olympus"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Compile(tt.objs)
			if err == nil {
				t.Fatalf("Compile succeeded (%d rules), want an error", len(set.Rules()))
			}
			var fe *confval.FieldError
			found := false
			for _, e := range confval.Flatten(err) {
				if errors.As(e, &fe) && fe.Key == tt.wantKey {
					found = true
					for _, w := range tt.want {
						if !strings.Contains(fe.Err.Error(), w) {
							t.Errorf("message %q lacks %q", fe.Err.Error(), w)
						}
					}
				}
			}
			if !found {
				t.Errorf("no error keyed %s in: %v", tt.wantKey, err)
			}
		})
	}
}

func TestCompileWarnings(t *testing.T) {
	var objs []Objective
	for i := range 6 {
		o := obj("O"+string(rune('a'+i)), count("kr"+string(rune('a'+i)), `kind == "change.shipped"`))
		o.Team = "web"
		objs = append(objs, o)
	}
	for i := range 5 {
		objs[0].KeyResults = append(objs[0].KeyResults, count("extra"+string(rune('a'+i)), "true"))
	}
	objs[1].KeyResults = append(objs[1].KeyResults,
		KeyResult{Key: "frac", Type: TypeRatio, Scope: "epic:A-1", Target: 0.8},
		KeyResult{Key: "never", Type: TypeCount, Target: 3, Match: `kind == "a" && kind == "b"`})
	set, err := Compile(objs, WithTeams([]people.Team{{Name: "web"}}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`objective "Oa" has 6 key results`,
		"team web has 6 objectives",
		`key result "frac": ratio values are percentages`,
		`key result "never": match`,
	}
	got := strings.Join(set.Warnings(), "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("warnings lack %q:\n%s", w, got)
		}
	}
}

func TestCompileUnknownTeam(t *testing.T) {
	o := obj("O1")
	o.Team = "ghosts"
	_, err := Compile([]Objective{o}, WithTeams([]people.Team{{Name: "web"}}))
	if err == nil || !strings.Contains(err.Error(), `objectives[0].team: unknown team "ghosts"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestRuleVersion(t *testing.T) {
	compile := func(match string, target float64) string {
		kr := count("kr", match)
		kr.Target = target
		set, err := Compile([]Objective{obj("O1", kr)})
		if err != nil {
			t.Fatal(err)
		}
		return set.Rules()[0].Version
	}
	a := compile(`kind == "a"`, 10)
	if len(a) != 8 {
		t.Errorf("version %q: want 8 hex digits", a)
	}
	if b := compile(`kind == "a"`, 20); b != a {
		t.Errorf("a new target changed the rule version: %s → %s", a, b)
	}
	if c := compile(`kind == "b"`, 10); c == a {
		t.Errorf("a new match kept the rule version %s", a)
	}
}

// TestSample decodes testdata/sample.toml strictly (every key a key result
// can take) and compiles it without warnings.
func TestSample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "sample.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Teams      []people.Team   `toml:"teams"`
		People     []people.Person `toml:"people"`
		Objectives []Objective     `toml:"objectives"`
	}
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := people.New(cfg.People, cfg.Teams); err != nil {
		t.Fatal(err)
	}
	set, err := Compile(cfg.Objectives, WithTeams(cfg.Teams))
	if err != nil || len(set.Warnings()) != 0 {
		t.Fatalf("Compile = %v, %v", set, err)
	}
	if n := len(set.Rules()); n != 6 {
		t.Errorf("%d rules, want 6", n)
	}
	lt, _ := set.Rule("auth-lead-time")
	if lt.Window != calendar.Trailing(28*24*time.Hour) || lt.Tolerance != 0.1 || lt.DivideBy != 60 || lt.Location.String() != "Europe/Berlin" {
		t.Errorf("auth-lead-time compiled as %+v", lt)
	}
}
