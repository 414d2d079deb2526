package sandbox

import (
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/slackfake"
	"github.com/goalpost/goalpost/internal/sandbox/trellofake"
)

// The sandbox's Trello board and Slack workspace.
const (
	TrelloKey     = "sandbox-trello-key"
	TrelloToken   = "sandbox-trello-token"
	SlackToken    = "xoxb-sandbox-slack-token"
	SlackChannel  = "CSANDBOX01"
	trelloBoardID = "5a0d1e00000040008000b001"
)

// Card is one seeded card of the passwordless launch board: created in
// "To do" at Created, moved to "Done" at Done (zero: still open).
type Card struct {
	Title         string
	Created, Done time.Time
}

var cardTitles = []string{
	"Passkey enrolment screen", "WebAuthn server library", "Recovery codes", "Passkeys on Android",
	"Passkeys on iOS", "Remove password reset emails", "Security review", "Support playbook",
	"Usage dashboard", "Rollout flags", "Docs: passwordless FAQ", "Migrate admin accounts",
}

// seedCards puts the board's history across the seeded weeks: a card is
// created each half week, and most of them reach Done eight days later.
func (c *Company) seedCards() {
	first := c.Anchor.AddDate(0, 0, -7*c.Weeks)
	for i, t := range cardTitles {
		card := Card{Title: t, Created: first.Add(time.Duration(i*84+10) * time.Hour)}
		if done := card.Created.Add(8 * 24 * time.Hour); i%4 != 3 && done.Before(c.Anchor) {
			card.Done = done
		}
		c.Cards = append(c.Cards, card)
	}
}

// board is the sandbox's Trello: the fake, its lists, the open cards (by
// seed order) and the clock the fake stamps actions with.
type board struct {
	fake  *trellofake.Fake
	todo  string
	done  string
	open  []openCard // cards still in To do, oldest first
	srv   *httptest.Server
	mu    sync.Mutex
	at    time.Time // the seeding clock; zero: time.Now
	slack *httptest.Server
}

type openCard struct{ id, title string }

func (b *board) now() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.at.IsZero() {
		return time.Now()
	}
	return b.at
}

func (b *board) setClock(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.at = t
}

// seedTrello replays the cards' history on the fake board in time order.
func (s *Sandbox) seedTrello() {
	s.board.fake = trellofake.New(TrelloKey, TrelloToken, "", trellofake.WithClock(s.board.now))
	lists := s.board.fake.AddBoard(trelloBoardID, "Passwordless launch", "To do", "Doing", "Done")
	s.board.todo, s.board.done = lists[0], lists[2]
	type step struct {
		at time.Time
		do func()
	}
	var steps []step
	ids := make([]string, len(s.Company.Cards))
	for i, c := range s.Company.Cards {
		steps = append(steps, step{c.Created, func() { ids[i], _ = s.board.fake.AddCard(trelloBoardID, s.board.todo, c.Title, nil, nil) }})
		if !c.Done.IsZero() {
			steps = append(steps, step{c.Done, func() { s.board.fake.Move(ids[i], s.board.done) }})
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at.Before(steps[j].at) })
	for _, st := range steps {
		s.board.setClock(st.at)
		st.do()
	}
	s.board.setClock(time.Time{})
	for i, c := range s.Company.Cards {
		if c.Done.IsZero() {
			s.board.open = append(s.board.open, openCard{ids[i], c.Title})
		}
	}
}

// finishCard moves the oldest open card to Done and returns its name (""
// when none is left).
func (s *Sandbox) finishCard() string {
	s.board.mu.Lock()
	if len(s.board.open) == 0 {
		s.board.mu.Unlock()
		return ""
	}
	c := s.board.open[0]
	s.board.open = s.board.open[1:]
	s.board.mu.Unlock()
	s.board.fake.Move(c.id, s.board.done)
	return c.title
}

// addCard adds a card to the board's To do list, last in line to be done.
func (s *Sandbox) addCard(title string) {
	id, _ := s.board.fake.AddCard(trelloBoardID, s.board.todo, title, nil, nil)
	s.board.mu.Lock()
	s.board.open = append(s.board.open, openCard{id, title})
	s.board.mu.Unlock()
}

// TrelloURL is the fake Trello API's base URL.
func (s *Sandbox) TrelloURL() string { return s.board.srv.URL }

// SlackURL is the fake Slack Web API's base URL.
func (s *Sandbox) SlackURL() string { return s.board.slack.URL }

func (s *Sandbox) startBoardAndSlack() {
	s.seedTrello()
	s.Slack = slackfake.New(SlackToken)
	for _, e := range s.Company.Engineers {
		s.Slack.AddUser("U"+strings.ToUpper(e.Key), e.Key+"@acme.example")
	}
	s.board.srv = httptest.NewServer(s.board.fake)
	s.board.slack = httptest.NewServer(s.Slack)
}

// UseRealSlack makes the configuration post to a real Slack channel with
// the bot token in $SLACK_BOT_TOKEN instead of to the fake.
func (s *Sandbox) UseRealSlack(channel string) { s.realSlack = channel }

// RealSlack reports whether the configuration posts to a real Slack.
func (s *Sandbox) RealSlack() bool { return s.realSlack != "" }

func (s *Sandbox) slackURL() string {
	if s.RealSlack() {
		return ""
	}
	return s.SlackURL()
}

func (s *Sandbox) slackChannel() string {
	if s.RealSlack() {
		return s.realSlack
	}
	return SlackChannel
}
