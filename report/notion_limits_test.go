package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// A Notion table's rows are its children, and Notion takes at most 100
// children per array: the baseline grid of a large team (or of team "",
// everyone, when no teams are configured) must still be delivered, every
// person's row once, each table with the header row.
func TestNotionPagesLargeTeams(t *testing.T) {
	for _, tc := range []struct {
		name   string
		people int
		tables int
	}{
		{name: "a small team: one table", people: 5, tables: 1},
		{name: "98 people and the team row fill one table", people: 98, tables: 1},
		{name: "99 people need a second table", people: 99, tables: 2},
		{name: "250 people", people: 250, tables: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Build(t.Context(), bigSource(t, 3, 1, tc.people), platform, week47, reportTime, 4)
			if err != nil {
				t.Fatal(err)
			}
			f := newFakeNotion(t, notionToken, notionParent)
			n := newTestNotion(t, f, notionToken, nil)
			var p progressLog
			if err := n.Deliver(t.Context(), r, Progress{}, p.confirm); err != nil {
				t.Fatalf("deliver: %v", err)
			}
			f.mu.Lock()
			children := f.pages[p.last().Ref].children
			f.mu.Unlock()
			tables, seen := 0, map[string]int{}
			for _, c := range children {
				if c["type"] != "table" {
					continue
				}
				tables++
				b, _ := json.Marshal(c)
				if !strings.Contains(string(b), `"Person"`) {
					t.Errorf("table %d has no header row", tables)
				}
				for i := range tc.people {
					seen[fmt.Sprintf("p%03d", i)] += strings.Count(string(b), fmt.Sprintf("Person Number %03d", i))
				}
			}
			if tables != tc.tables {
				t.Errorf("%d tables, want %d", tables, tc.tables)
			}
			for person, n := range seen {
				if n != 1 {
					t.Errorf("%s appears in %d table rows, want 1", person, n)
				}
			}
		})
	}
}
