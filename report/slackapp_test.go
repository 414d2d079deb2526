package report

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/slack"
	"github.com/goalpost/goalpost/internal/sandbox/slackfake"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/rules"
)

func slackAppHarness(t *testing.T) (*slackfake.Fake, *SlackApp, *Report) {
	t.Helper()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	fake := slackfake.New("xoxb-report", slackfake.WithClock(func() time.Time { now = now.Add(2 * time.Second); return now }))
	fake.AddUser("U_ADA", "ada@example.com")
	fake.AddUser("U_CAROL", "carol@example.com")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	api := slack.NewAPI("xoxb-report", srv.URL, srv.Client().Transport, slack.WithoutTierLimits(),
		slack.WithAPITransport(transport.Options{MaxAttempts: 1}))
	emails := map[string][2]string{"ada": {"ada@example.com", "Ada"}, "bob": {"bob@example.com", "Bob"}, "carol": {"carol@example.com", "Carol"}, "dan": {"dan@example.com", "Dan"}}
	person := func(k string) (string, string, bool) { e, ok := emails[k]; return e[0], e[1], ok }
	app := NewSlackApp(api, "C0TEAM01", []string{"carol"}, person, nil)
	r := buildFixed(t)
	r.Start = now.Add(-7 * 24 * time.Hour)
	r.Objectives = []Objective{{Key: "O1", Title: "Ship", KRs: []KR{
		{Key: "k1", Title: "Passkeys", Owner: "ada", Status: rules.StatusAtRisk},
		{Key: "k2", Title: "Latency", Owner: "bob", Status: rules.StatusOnTrack},
		{Key: "k3", Title: "Docs", Owner: "eve", Status: rules.StatusOffTrack},
	}}}
	r.TwoInARow = []Person{{Person: "carol", Name: "Carol"}, {Person: "dan", Name: "Dan"}}
	return fake, app, r
}

func TestSlackAppMentionsNudgesAndEdits(t *testing.T) {
	fake, app, r := slackAppHarness(t)
	ctx := t.Context()
	var got Progress
	confirm := func(_ context.Context, p Progress) error { got = p; return nil }
	// The first post's answer is lost after Slack made it (a crash
	// mid-send): the delivery fails with nothing confirmed.
	fake.LoseNextPost()
	if err := app.Deliver(ctx, r, Progress{}, confirm); err == nil {
		t.Fatal("lost answer: delivery reported success")
	}
	if got.Parts != 0 {
		t.Fatalf("confirmed %d parts after a lost answer", got.Parts)
	}
	// The retry finds the message by its key and edits it: no double post.
	if err := app.Deliver(ctx, r, got, confirm); err != nil {
		t.Fatal(err)
	}
	channel := fake.Messages("C0TEAM01")
	first := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(channel[0].Blocks)
	checks := map[string]bool{
		"one message per part":               len(channel) == got.Parts-1, // the last part is Carol's nudge
		"at-risk owner mentioned":            strings.Contains(first, "<@U_ADA> — Passkeys (at risk)"),
		"on-track owner not mentioned":       !strings.Contains(first, "Latency (on track)"),
		"unknown owner named, not pinged":    strings.Contains(first, "• eve — Docs (off track)"),
		"nudge only in a DM":                 len(fake.Messages("DU_CAROL")) == 1 && !strings.Contains(first+channel[len(channel)-1].Blocks, "What got in the way"),
		"nudge asks what got in the way":     strings.Contains(fake.Messages("DU_CAROL")[0].Text, "What got in the way?"),
		"no nudge without opt-in":            fake.Calls("conversations.open") == 1,
		"ts recorded per part":               len(strings.Split(got.Ref, ",")) == got.Parts,
		"first message edited, not reposted": channel[0].Edits == 1,
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("%s: channel %+v, progress %+v", name, channel, got)
		}
	}
	// A re-sent report (a new delivery) edits every message in place.
	posts := fake.Calls("chat.postMessage")
	if err := app.Deliver(ctx, r, Progress{}, confirm); err != nil {
		t.Fatal(err)
	}
	if fake.Calls("chat.postMessage") != posts || len(fake.Messages("C0TEAM01")) != len(channel) || len(fake.Messages("DU_CAROL")) != 1 {
		t.Fatalf("re-send posted again: posts %d → %d", posts, fake.Calls("chat.postMessage"))
	}
}

// A nudge goes to the person's manager too, when one is configured: a
// direct message to the manager only, for opted-in people only, sent once.
func TestSlackAppNudgeReachesManagerByDM(t *testing.T) {
	cases := []struct {
		name     string
		managers map[string]string
		wantDMs  map[string]int // DM channel → messages
	}{
		{"no manager configured", nil, map[string]int{"DU_CAROL": 1, "DU_ADA": 0}},
		{"manager of the opted-in person", map[string]string{"carol": "ada"}, map[string]int{"DU_CAROL": 1, "DU_ADA": 1}},
		{"manager of someone not opted in", map[string]string{"dan": "ada"}, map[string]int{"DU_CAROL": 1, "DU_ADA": 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake, app, r := slackAppHarness(t)
			app.manager = func(k string) string { return tc.managers[k] }
			for range 2 { // a re-send edits, never posts again
				if err := app.Deliver(t.Context(), r, Progress{}, func(context.Context, Progress) error { return nil }); err != nil {
					t.Fatal(err)
				}
			}
			for dm, n := range tc.wantDMs {
				if got := len(fake.Messages(dm)); got != n {
					t.Errorf("%s: %d messages, want %d", dm, got, n)
				}
			}
			if m := fake.Messages("DU_ADA"); len(m) == 1 && !strings.Contains(m[0].Text, "Carol") {
				t.Errorf("manager's message does not name the person: %q", m[0].Text)
			}
			for _, m := range fake.Messages("C0TEAM01") {
				if strings.Contains(m.Blocks, "one-on-one") || strings.Contains(m.Blocks, "What got in the way") {
					t.Errorf("a nudge reached the channel: %s", m.Blocks)
				}
			}
		})
	}
}
