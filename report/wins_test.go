package report

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/slack"
	"github.com/goalpost/goalpost/internal/sandbox/slackfake"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/calendar"
)

// winsSource serves shipped changes (by Ada) and the key results they moved.
type winsSource struct{ shipped []rules.Evidence }

func (s *winsSource) Results(context.Context, time.Time) ([]rules.Result, error) {
	return []rules.Result{{KRKey: "ship-80", Title: "Ship 80 changes"}}, nil
}

func (s *winsSource) Moved(_ context.Context, from, to time.Time) ([]Movement, error) {
	m := Movement{KRKey: "ship-80"}
	for _, e := range s.shipped {
		if !e.OccurredAt.Before(from) && e.OccurredAt.Before(to) {
			m.Evidence = append(m.Evidence, e)
		}
	}
	return []Movement{m}, nil
}

func (s *winsSource) Baseline(context.Context, string, calendar.Week, int, time.Time) (Grid, error) {
	return Grid{People: []GridRow{{Person: "ada", Name: "Ada Lovelace", Cells: []GridCell{{Shipped: s.shipped}}}}}, nil
}

func TestWinsBatchedAndEdited(t *testing.T) {
	now := time.Date(2026, 11, 18, 10, 5, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	fake := slackfake.New("xoxb-wins", slackfake.WithClock(clock))
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	api := slack.NewAPI("xoxb-wins", srv.URL, srv.Client().Transport, slack.WithoutTierLimits(), slack.WithAPITransport(transport.Options{MaxAttempts: 1}))
	src := &winsSource{}
	ship := func(n int, at time.Time) {
		src.shipped = append(src.shipped, rules.Evidence{EventID: "e" + string(rune('0'+n)), Unit: "acme/api#" + string(rune('0'+n)),
			Title: "acme/api#" + string(rune('0'+n)) + " change", URL: "https://github.com/acme/api/pull/1", OccurredAt: at})
	}
	w := newWins(src, api, "C0WINS001", time.Hour, clock, slog.New(slog.DiscardHandler))
	steps := []struct {
		name     string
		at       time.Time
		ship     int // 0: nothing new
		restart  bool
		messages int
		edits    int // of the newest message
		updates  int // chat.update calls so far
	}{
		{name: "first win posts", at: now, ship: 1, messages: 1, updates: 0},
		{name: "nothing new: no call", at: now.Add(5 * time.Minute), messages: 1, updates: 0},
		{name: "second win in the hour edits", at: now.Add(15 * time.Minute), ship: 2, messages: 1, edits: 1, updates: 1},
		{name: "next hour, new message", at: now.Add(time.Hour), ship: 3, messages: 2, updates: 1},
		{name: "restart mid-hour: found by key, edited", at: now.Add(time.Hour + 10*time.Minute), ship: 4, restart: true, messages: 2, edits: 1, updates: 2},
	}
	for _, st := range steps {
		now = st.at
		if st.ship > 0 {
			ship(st.ship, now.Add(-time.Minute))
		}
		if st.restart {
			w = newWins(src, api, "C0WINS001", time.Hour, clock, slog.New(slog.DiscardHandler))
		}
		if err := w.Once(t.Context()); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		ms := fake.Messages("C0WINS001")
		if len(ms) != st.messages || ms[len(ms)-1].Edits != st.edits || fake.Calls("chat.update") != st.updates {
			t.Fatalf("%s: %d messages (newest edited %d times), %d updates", st.name, len(ms), ms[len(ms)-1].Edits, fake.Calls("chat.update"))
		}
	}
	last := fake.Messages("C0WINS001")[1].Blocks
	if !strings.Contains(last, "Ada Lovelace") || !strings.Contains(last, "moved Ship 80 changes") || !strings.Contains(last, "acme/api#4") {
		t.Fatalf("wins message lacks author, key result or change: %s", last)
	}
}
