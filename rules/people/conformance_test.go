package people

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/internal/fixtures"
)

// fixturesDir finds ../shared/fixtures next to the repository root (the
// directory holding go.mod), or "" when it is absent.
func fixturesDir(t *testing.T) string {
	t.Helper()
	return fixtures.Dir(t, "")
}

// TestFixtureIdentities collects every handle in the recorded GitHub, Jira
// and Linear payloads, gives each to a person, and checks the directory
// finds that person again from the handle as the payload spells it (and in
// another case): the handle shapes of the real services (logins with
// "[bot]", Jira accountIds with colons, e-mail addresses, Linear UUIDs) all
// map.
func TestFixtureIdentities(t *testing.T) {
	root := fixturesDir(t)
	if root == "" {
		t.Skip("../shared/fixtures not present")
	}
	// The JSON keys that hold a person's handle in each source's payloads.
	identityKeys := map[string][]string{
		"github": {"login"},
		"jira":   {"accountId", "emailAddress"},
		"linear": {"assigneeId", "creatorId", "userId"},
	}
	handles := map[string]map[string]bool{}
	dirs := map[string]string{"github": "github-webhooks", "jira": "jira", "linear": "linear"}
	for source, sub := range dirs {
		files, _ := filepath.Glob(filepath.Join(root, sub, "*.json"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			collect(v, identityKeys[source], func(h string) {
				if handles[source] == nil {
					handles[source] = map[string]bool{}
				}
				handles[source][h] = true
			})
		}
	}
	var persons []Person
	var want [][3]string // source, handle, key
	for source, hs := range handles {
		for h := range hs {
			p := Person{Key: fmt.Sprintf("p%d", len(persons))}
			switch {
			case strings.Contains(h, "@"):
				p.Email = h
			case source == "github":
				p.GitHub = h
			case source == "jira":
				p.Jira = h
			default:
				p.Linear = h
			}
			persons = append(persons, p)
			want = append(want, [3]string{source, h, p.Key})
		}
	}
	if len(want) < 5 {
		t.Fatalf("found only %d handles in %s", len(want), root)
	}
	sort.Slice(want, func(i, j int) bool { return want[i][1] < want[j][1] })
	d, err := New(persons, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		for _, h := range []string{w[1], strings.ToUpper(w[1])} {
			if p, ok := d.Lookup(w[0], h); !ok || p.Key != w[2] {
				t.Errorf("Lookup(%s, %q) = %q, %v; want %s", w[0], h, p.Key, ok, w[2])
			}
		}
	}
	t.Logf("%d handles from the fixtures map", len(want))
}

func collect(v any, keys []string, add func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && s != "" {
				for _, want := range keys {
					if k == want {
						add(s)
					}
				}
			}
			collect(val, keys, add)
		}
	case []any:
		for _, val := range x {
			collect(val, keys, add)
		}
	}
}
