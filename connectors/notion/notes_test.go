package notion_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/internal/sandbox/notionfake"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback/outbox"
)

const (
	marker = "Weekly check-in · goalpost"
	label  = "Owner's notes for the week (plan, help needed): write below. goalpost shows them in the weekly check-in and never edits them."
)

// callout returns the page's live check-in callout.
func (e *env) callout(t *testing.T, page string) notionfake.BlockView {
	t.Helper()
	var found []notionfake.BlockView
	for _, b := range e.fake.Children(page) {
		if b.Type == "callout" && !b.Trashed {
			found = append(found, b)
		}
	}
	if len(found) != 1 {
		t.Fatalf("live callouts = %+v, want one", found)
	}
	return found[0]
}

// liveTexts are the texts of a block's live children.
func (e *env) liveTexts(id string) []string {
	var out []string
	for _, b := range e.fake.Children(id) {
		if !b.Trashed {
			out = append(out, b.Text)
		}
	}
	return out
}

// remove deletes a block as a person would in Notion (it goes to the trash).
func (e *env) remove(t *testing.T, id string) {
	t.Helper()
	req := httptest.NewRequest("DELETE", "/v1/blocks/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Notion-Version", "2022-06-28")
	rec := httptest.NewRecorder()
	e.fake.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("delete %s: %d %s", id, rec.Code, rec.Body)
	}
}

// TestCheckinNotes: the check-in callout is created with an empty notes
// area (a grey label and an empty paragraph); what the owner writes there
// is read back; goalpost's later writes never change it; a callout without
// children gets the area once; notes longer than a page of children are
// read in full.
func TestCheckinNotes(t *testing.T) {
	tests := []struct {
		name string
		// before runs before goalpost's first write; owner between the
		// first and the second.
		before, owner func(t *testing.T, e *env, page string)
		want          string   // ReadNotes' text
		children      []string // the callout's live children after the second write (nil: not checked)
		listings      int      // children listings ReadNotes sends (0: not checked)
	}{
		{
			name: "a new check-in has an empty notes area", want: "", children: []string{label, ""},
		},
		{
			name: "the owner's text is read back and survives the next write",
			owner: func(t *testing.T, e *env, page string) {
				if _, err := e.fake.WriteUnderCallout(page, marker, "Plan: pair on the checkout"); err != nil {
					t.Fatal(err)
				}
			},
			want: "Plan: pair on the checkout", children: []string{label, "Plan: pair on the checkout"},
		},
		{
			name: "text after the label, several blocks, lines; trashed blocks left out",
			owner: func(t *testing.T, e *env, page string) {
				c := e.callout(t, page)
				kids := e.fake.Children(c.ID)
				must(t, e.fake.SetBlockText(kids[0].ID, label+" Urgent."))
				must(t, e.fake.SetBlockText(kids[1].ID, "Plan: batch deploys\n\nHelp: a reviewer"))
				bullet, err := e.fake.AddBlock(c.ID, "bulleted_list_item", "dropped idea")
				must(t, err)
				e.remove(t, bullet)
				_, err = e.fake.AddBlock(c.ID, "to_do", "ask security")
				must(t, err)
			},
			want:     "Urgent. · Plan: batch deploys · Help: a reviewer · ask security",
			children: []string{label + " Urgent.", "Plan: batch deploys\n\nHelp: a reviewer", "ask security"},
		},
		{
			name: "a check-in from before notes gets the area once",
			before: func(t *testing.T, e *env, page string) {
				_, err := e.fake.AddBlock(page, "callout", marker+"\nWeek 2026-W46 · an older check-in")
				must(t, err)
			},
			want: "", children: []string{label, ""},
		},
		{
			name: "notes deleted entirely come back empty",
			owner: func(t *testing.T, e *env, page string) {
				for _, b := range e.fake.Children(e.callout(t, page).ID) {
					e.remove(t, b.ID)
				}
			},
			want: "", children: []string{label, ""},
		},
		{
			name: "notes longer than a page of children are read in full",
			owner: func(t *testing.T, e *env, page string) {
				c := e.callout(t, page).ID
				for i := range 104 {
					_, err := e.fake.AddBlock(c, "paragraph", fmt.Sprint("line ", i))
					must(t, err)
				}
			},
			want: numbered(104), listings: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			page := e.page(t, nil)
			if tt.before != nil {
				tt.before(t, e, page)
			}
			must(t, e.sink.Write(t.Context(), outbox.NotionPage(page), result(rules.StatusOnTrack)))
			if tt.owner != nil {
				tt.owner(t, e, page)
			}
			must(t, e.sink.Write(t.Context(), outbox.NotionPage(page), result(rules.StatusAtRisk)))
			e.fake.ResetRequests()
			notes, err := e.sink.ReadNotes(t.Context(), []string{page}, time.Time{})
			must(t, err)
			got, ok := notes[page]
			if !ok {
				t.Fatalf("no notes for the page: %v", notes)
			}
			if got != tt.want {
				t.Errorf("notes = %.200q, want %.200q", got, tt.want)
			}
			if n := e.fake.Count("GET /v1/blocks/{id}/children"); tt.listings > 0 && n != tt.listings {
				t.Errorf("children listings = %d, want %d", n, tt.listings)
			}
			if kids := e.liveTexts(e.callout(t, page).ID); tt.children != nil && fmt.Sprintf("%q", kids) != fmt.Sprintf("%q", tt.children) {
				t.Errorf("callout children = %q, want %q", kids, tt.children)
			}
			if !strings.Contains(e.callout(t, page).Text, "At risk") {
				t.Error("the second write did not update the callout's text")
			}
		})
	}
}

// numbered is the notes of n paragraphs "line 0" … "line n-1".
func numbered(n int) string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprint("line ", i)
	}
	return strings.Join(lines, " · ")
}

// newEnvSink is another sink on e's fake: a restarted process.
func newEnvSink(t *testing.T, e *env) *notion.Sink {
	t.Helper()
	s, err := notion.NewSink(&notion.Config{BaseURL: e.srv.URL + "/v1/", Token: token, RequestsPerSecond: 100}, e.srv.Client(), nil)
	must(t, err)
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// clock is a settable clock for the fake's edit times.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestReadNotesOnlyChangedPages: after the first round, a round asks
// Notion which rows were edited since the last one (one query per data
// source) and lists the notes of those only; a restarted process reads
// each page once to learn its data source and edit time.
func TestReadNotesOnlyChangedPages(t *testing.T) {
	clk := &clock{t: evalAt}
	e := newEnv(t, nil, notionfake.WithClock(clk.now))
	var pages []string
	for i := range 3 {
		p := e.page(t, map[string]any{"Name": fmt.Sprint("KR ", i), "Key": fmt.Sprint("kr-", i)})
		must(t, e.sink.Write(t.Context(), outbox.NotionPage(p), result(rules.StatusOnTrack)))
		pages = append(pages, p)
	}
	clk.add(10 * time.Minute)
	lastRound := clk.now()
	clk.add(5 * time.Minute)
	if _, err := e.fake.WriteUnderCallout(pages[1], marker, "help: a reviewer"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		fresh    bool // a restarted process: nothing cached
		since    time.Time
		want     map[string]string
		requests map[string]int
	}{
		{"first round reads every page", false, time.Time{},
			map[string]string{pages[0]: "", pages[1]: "help: a reviewer", pages[2]: ""},
			map[string]int{"GET /v1/blocks/{id}/children": 3}},
		{"a later round reads the edited page only", false, lastRound,
			map[string]string{pages[1]: "help: a reviewer"},
			map[string]int{"POST /v1/data_sources/{id}/query": 1, "GET /v1/blocks/{id}/children": 1}},
		{"a restarted process reads each page once", true, lastRound,
			map[string]string{pages[1]: "help: a reviewer"},
			map[string]int{"GET /v1/pages/{id}": 3, "GET /v1/data_sources/{id}": 1, "GET /v1/blocks/{id}/children": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := e.sink
			if tt.fresh {
				sink = newEnvSink(t, e)
			}
			e.fake.ResetRequests()
			got, err := sink.ReadNotes(t.Context(), pages, tt.since)
			must(t, err)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("notes = %v, want %v", got, tt.want)
			}
			if reqs := e.fake.Requests(); fmt.Sprint(reqs) != fmt.Sprint(tt.requests) {
				t.Errorf("requests = %v, want %v", reqs, tt.requests)
			}
		})
	}
}
