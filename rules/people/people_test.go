package people

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
)

func testDirectory(t *testing.T) *Directory {
	t.Helper()
	d, err := New([]Person{
		{Key: "alice", Email: "Alice@Example.com", GitHub: "Alice-GH", Jira: "557058:f58131cb", Linear: "lin-1", Team: "web"},
		{Key: "bob", GitHub: "bob", TimeZone: "Australia/Sydney", Team: "web", Handles: []string{"deploy:bob-bot"}},
		{Key: "carol", GitHub: "carol", Team: "ops", Role: "manager"},
		{Key: "dan", GitHub: "dan"},
	}, []Team{
		{Name: "web", TimeZone: "Europe/London"},
		{Name: "ops", TimeZone: "America/New_York", WeekStart: "sunday"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLookup(t *testing.T) {
	d := testDirectory(t)
	tests := []struct {
		source, handle string
		want           string // "" when unmapped
	}{
		{"github", "alice-gh", "alice"},
		{"github", "ALICE-GH", "alice"},
		{"jira", "557058:f58131cb", "alice"},
		{"linear", "lin-1", "alice"},
		{"jira", "alice@example.com", "alice"},
		{"deploy", "bob-bot", "bob"},
		{"deploy", "bob", "bob"}, // deploy hooks carry GitHub logins
		{"jira", "bob", ""},      // …but a Jira handle is never a GitHub login
		{"github", "dependabot[bot]", ""},
		{"github", "", ""},
	}
	for _, tt := range tests {
		p, ok := d.Lookup(tt.source, tt.handle)
		if ok != (tt.want != "") || p.Key != tt.want {
			t.Errorf("Lookup(%s, %s) = %q, %v; want %q", tt.source, tt.handle, p.Key, ok, tt.want)
		}
	}
}

func TestLocationsAndWeekStarts(t *testing.T) {
	d := testDirectory(t)
	tests := []struct {
		person, loc string
		start       time.Weekday
		engineer    bool
	}{
		{"alice", "Europe/London", time.Monday, true},     // the team's zone
		{"bob", "Australia/Sydney", time.Monday, true},    // the person's own zone wins
		{"carol", "America/New_York", time.Sunday, false}, // team week start; not an engineer
		{"dan", "UTC", time.Monday, true},                 // no team: defaults
	}
	for _, tt := range tests {
		p, _ := d.Person(tt.person)
		cal := d.Calendar(tt.person)
		if got := cal.Location().String(); got != tt.loc {
			t.Errorf("%s: location %s, want %s", tt.person, got, tt.loc)
		}
		if got := cal.WeekStart(); got != tt.start {
			t.Errorf("%s: week start %s, want %s", tt.person, got, tt.start)
		}
		if p.Engineer() != tt.engineer {
			t.Errorf("%s: engineer %v, want %v", tt.person, p.Engineer(), tt.engineer)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		people  []Person
		teams   []Team
		wantKey string
		want    string
	}{
		{"missing key", []Person{{Name: "x"}}, nil, "people[0].key", "required"},
		{"duplicate key", []Person{{Key: "a"}, {Key: "a"}}, nil, "people[1].key", "unique"},
		{"bad time zone", []Person{{Key: "a", TimeZone: "Moon/Base"}}, nil, "people[0].time_zone", "Moon/Base"},
		{"unknown team", []Person{{Key: "a", Team: "x"}}, []Team{{Name: "y"}}, "people[0].team", `unknown team "x"`},
		{"unknown manager", []Person{{Key: "a", Manager: "boss"}}, nil, "people[0].manager", `another person`},
		{"own manager", []Person{{Key: "a", Manager: "a"}}, nil, "people[0].manager", `another person`},
		{"handle claimed twice", []Person{{Key: "a", GitHub: "Sam"}, {Key: "b", GitHub: "sam"}}, nil, "people[1].github", "already a's"},
		{"bad alias", []Person{{Key: "a", Handles: []string{"nocolon"}}}, nil, "people[0].handles", "source:handle"},
		{"bad week start", nil, []Team{{Name: "t", WeekStart: "funday"}}, "teams[0].week_start", "funday"},
		{"duplicate team", nil, []Team{{Name: "t"}, {Name: "t"}}, "teams[1].name", "unique"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.people, tt.teams)
			var fe *confval.FieldError
			for _, e := range confval.Flatten(err) {
				if errors.As(e, &fe) && fe.Key == tt.wantKey && strings.Contains(fe.Err.Error(), tt.want) {
					return
				}
			}
			t.Errorf("Validate = %v; want %s: …%s…", err, tt.wantKey, tt.want)
		})
	}
}

// Roles are read like the other words in the config (week starts, handles):
// "Engineer" is an engineer, not a person silently left out of the baseline.
func TestEngineerRole(t *testing.T) {
	for role, want := range map[string]bool{"": true, "engineer": true, "Engineer": true, " engineer ": true, "manager": false, "bot": false} {
		if got := (Person{Role: role}).Engineer(); got != want {
			t.Errorf("role %q: engineer %v, want %v", role, got, want)
		}
	}
}
