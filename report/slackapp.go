package report

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/connectors/slack"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// SlackAppAPI is the part of the Slack Web API client (connectors/slack.API)
// the Slack app destination uses. Upsert makes the message tagged key show
// m, exactly once: it edits ts (or the message found by key since oldest)
// and posts only when there is none; it returns the message's ts. Calls
// block until Slack answered (rate limits waited out, bounded); errors
// with Permanent() true (bad token, unknown channel) are not worth
// retrying, and never contain the token.
type SlackAppAPI interface {
	Upsert(ctx context.Context, channel, key, ts string, oldest time.Time, m slack.Message) (string, error)
	LookupUserByEmail(ctx context.Context, email string) (string, error)
	OpenDM(ctx context.Context, users ...string) (string, error)
}

// SlackApp delivers a team's weekly report through the Slack app: the
// report's messages in a channel, with the owners of key results at risk
// or off track @-mentioned (people are Slack users by email), then a
// private nudge to each person with two misses in a row who opted in (a
// direct message to them only, never in the channel). Every message is
// keyed by team, week and part, and upserted: a re-sent report edits its
// messages (chat.update) instead of posting them again, and a send cut off
// after Slack made the message is found by its key and not posted twice.
// Progress.Ref keeps the messages' ts, one per part.
type SlackApp struct {
	api     SlackAppAPI
	channel string
	nudge   []string
	person  func(key string) (email, name string, ok bool)
	manager func(key string) string // a person's manager's key, "" for none
	log     *slog.Logger
}

var _ Sender = (*SlackApp)(nil)

// NewSlackApp returns the destination. nudge lists the person keys who
// opted in ("all": everyone); person finds a person's email and name. It
// does no I/O.
func NewSlackApp(api SlackAppAPI, channel string, nudge []string, person func(string) (string, string, bool), log *slog.Logger) *SlackApp {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if person == nil {
		person = func(string) (string, string, bool) { return "", "", false }
	}
	return &SlackApp{api: api, channel: channel, nudge: nudge, person: person, log: log,
		manager: func(string) string { return "" }}
}

// part is one message to upsert: where, its key, and what it says.
type part struct {
	channel, key string
	msg          slack.Message
	dmTo         string // person key, for nudges (the DM is opened at send time)
}

// Deliver implements Sender: parts confirmed in done are not sent again;
// the rest are upserted in order, each confirmed with its ts.
func (s *SlackApp) Deliver(ctx context.Context, r *Report, done Progress, confirm func(context.Context, Progress) error) error {
	parts, err := s.parts(ctx, r)
	if err != nil {
		return err
	}
	tss := make([]string, len(parts))
	if done.Ref != "" {
		copy(tss, strings.Split(done.Ref, ","))
	}
	for i := done.Parts; i < len(parts); i++ {
		p := parts[i]
		if p.dmTo != "" {
			if p.channel, err = s.dm(ctx, p.dmTo); err != nil {
				return fmt.Errorf("slack app nudge: %w", err)
			}
		}
		if p.channel != "" { // "": a nudge for someone Slack does not know
			if tss[i], err = s.api.Upsert(ctx, p.channel, p.key, tss[i], r.Start, p.msg); err != nil {
				return fmt.Errorf("slack app message %d of %d: %w", i+1, len(parts), err)
			}
		}
		if err := confirm(ctx, Progress{Parts: i + 1, Ref: strings.Join(tss, ",")}); err != nil {
			return err
		}
	}
	return nil
}

// parts are the report's messages (the first with the owners to mention)
// and the nudges.
func (s *SlackApp) parts(ctx context.Context, r *Report) ([]part, error) {
	blocks := slackBlocks(r)
	mention, err := s.mentions(ctx, r)
	if err != nil {
		return nil, err
	}
	if mention != "" {
		blocks = slices.Insert(blocks, 2, slack.Sections(mention)...)
	}
	msgs := slack.Pack(blocks, r.title())
	out := make([]part, 0, len(msgs)+len(r.TwoInARow))
	for i, m := range msgs {
		if err := slack.Validate(m); err != nil {
			return nil, outbox.Permanent(fmt.Errorf("message %d: %w", i+1, err))
		}
		out = append(out, part{channel: s.channel, key: fmt.Sprintf("report:%s:%s:%d", r.Team, r.Week, i), msg: m})
	}
	for _, p := range r.TwoInARow {
		if !s.optedIn(p.Person) {
			continue
		}
		out = append(out, part{key: fmt.Sprintf("nudge:%s:%s", p.Person, r.Week), msg: nudgeMessage(p), dmTo: p.Person})
		if m := s.manager(p.Person); m != "" && m != p.Person {
			out = append(out, part{key: fmt.Sprintf("nudge:%s:%s:manager", p.Person, r.Week), msg: managerNudgeMessage(p), dmTo: m})
		}
	}
	return out, nil
}

func (s *SlackApp) optedIn(person string) bool {
	return slices.Contains(s.nudge, "all") || slices.Contains(s.nudge, person)
}

// mentions is the "needs attention" line: each key result at risk or off
// track with its owner @-mentioned ("" when none is).
func (s *SlackApp) mentions(ctx context.Context, r *Report) (string, error) {
	var lines []string
	for _, o := range r.Objectives {
		for _, k := range o.KRs {
			if k.Status != rules.StatusAtRisk && k.Status != rules.StatusOffTrack {
				continue
			}
			who, err := s.slackName(ctx, k.Owner)
			if err != nil {
				return "", err
			}
			lines = append(lines, fmt.Sprintf("• %s — %s (%s)", who, slack.Escape(k.Title), strings.ReplaceAll(k.Status, "_", " ")))
		}
	}
	if len(lines) == 0 {
		return "", nil
	}
	return "*Needs attention*\n" + strings.Join(lines, "\n"), nil
}

// slackName is <@U…> for a person Slack knows by email, else their name.
func (s *SlackApp) slackName(ctx context.Context, key string) (string, error) {
	email, name, ok := s.person(key)
	if ok && email != "" {
		id, err := s.api.LookupUserByEmail(ctx, email)
		if err != nil {
			return "", err
		}
		if id != "" {
			return "<@" + id + ">", nil
		}
	}
	return slack.Escape(firstNonEmpty(name, key, "no owner")), nil
}

func (s *SlackApp) dm(ctx context.Context, person string) (string, error) {
	email, _, ok := s.person(person)
	if !ok || email == "" {
		return "", nil
	}
	id, err := s.api.LookupUserByEmail(ctx, email)
	if err != nil || id == "" {
		return "", err
	}
	return s.api.OpenDM(ctx, id)
}

func nudgeMessage(p Person) slack.Message {
	text := fmt.Sprintf("Hi %s, nothing of yours reached production in the last two weeks. "+
		"What got in the way? Reply here if something is blocking you; only you get this message.", slack.Escape(firstNonEmpty(p.Name, p.Person)))
	return slack.Message{Text: text, Blocks: []slack.Block{slack.Section(text)}}
}

// managerNudgeMessage is the manager's copy of a nudge: the same question,
// to ask in their next one-on-one, never a judgement.
func managerNudgeMessage(p Person) slack.Message {
	text := fmt.Sprintf("%s has had nothing reach production in the last two weeks and got a private "+
		"\"what got in the way?\" note from goalpost. Worth asking in your next one-on-one; only you and they get these messages.",
		slack.Escape(firstNonEmpty(p.Name, p.Person)))
	return slack.Message{Text: text, Blocks: []slack.Block{slack.Section(text)}}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
