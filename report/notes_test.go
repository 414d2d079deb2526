package report

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/rules/people"
)

// pageNotes is a fake PageNotes: the text on each page, and the since each
// round asked with.
type pageNotes struct {
	text   map[string]string
	asked  []time.Time
	broken bool
}

func (p *pageNotes) ReadNotes(_ context.Context, pages []string, since time.Time) (map[string]string, error) {
	p.asked = append(p.asked, since)
	if p.broken {
		return nil, errors.New("notion: service_unavailable (http 503)")
	}
	out := map[string]string{}
	for _, pg := range pages {
		if t, ok := p.text[pg]; ok {
			out[pg] = t
		}
	}
	return out, nil
}

// TestNotesReader: round by round, a text that changed on the page becomes
// the week's note (source notion); an unchanged one is not stored again, so
// last week's text does not become this week's note and a note set later
// with `goalpost note` stays; emptying the page clears the note; a failed
// round keeps the cursor.
func TestNotesReader(t *testing.T) {
	st := openStore(t, t.TempDir())
	b, err := NewBuilder(loadSource(t), st, []people.Team{platform}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pages := &pageNotes{text: map[string]string{}}
	now := time.Date(2026, 11, 18, 9, 0, 0, 0, time.UTC) // 2026-W47
	r := NewNotesReader(b, pages, st, []NotePage{{KR: "ship-80", Page: "page-1", Team: "platform"}}, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	steps := []struct {
		name    string
		act     func()
		stored  int
		week    string
		want    string // the week's note after the round
		wantErr bool
	}{
		{"an empty notes area stores nothing", func() { pages.text["page-1"] = "" }, 0, "2026-W47", "", false},
		{"the owner writes", func() { pages.text["page-1"] = "plan: batch deploys" }, 1, "2026-W47", "plan: batch deploys", false},
		{"nothing changed", nil, 0, "2026-W47", "plan: batch deploys", false},
		{"a new week: last week's text stays last week's", func() { now = now.AddDate(0, 0, 7) }, 0, "2026-W48", "", false},
		{"goalpost note wins while the page is unchanged", func() {
			must(t, st.SetNote(t.Context(), store.Note{KRKey: "ship-80", Week: "2026-W48", Body: "from the CLI", Source: store.NoteFromCLI, SetAt: now}))
			now = now.Add(time.Hour)
		}, 0, "2026-W48", "from the CLI", false},
		{"the owner edits the page: it wins", func() { pages.text["page-1"] = "help: a reviewer" }, 1, "2026-W48", "help: a reviewer", false},
		{"Notion fails: the cursor stays", func() { pages.broken = true; now = now.Add(time.Hour) }, 0, "2026-W48", "help: a reviewer", true},
		{"emptied on the page: cleared", func() { pages.broken = false; pages.text["page-1"] = "" }, 1, "2026-W48", "", false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.act != nil {
				s.act()
			}
			n, err := r.ReadOnce(t.Context())
			if (err != nil) != s.wantErr || n != s.stored {
				t.Fatalf("ReadOnce = %d, %v; want %d stored, error %v", n, err, s.stored, s.wantErr)
			}
			notes, err := st.Notes(t.Context(), s.week, now)
			must(t, err)
			if got := notes["ship-80"]; got.Body != s.want {
				t.Errorf("note of %s = %+v, want %q", s.week, got, s.want)
			}
		})
	}
	if pages.asked[0] != (time.Time{}) || pages.asked[1].IsZero() {
		t.Errorf("rounds asked since %v: the first must read every page, the next since the last", pages.asked[:2])
	}
	if last, prev := pages.asked[len(pages.asked)-1], pages.asked[len(pages.asked)-2]; !last.Equal(prev) {
		t.Errorf("the round after a failure asked since %v, want %v (the cursor of the last good round)", last, prev)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
