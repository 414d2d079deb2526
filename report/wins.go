package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/connectors/slack"
	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/calendar"
)

// DefaultWinsInterval is how long one wins message collects changes.
const DefaultWinsInterval = time.Hour

func (w *WinsConfig) validate(dests []DestinationConfig) error {
	var errs []error
	i := slices.IndexFunc(dests, func(d DestinationConfig) bool { return d.Name == w.Destination })
	if i < 0 || dests[i].Type != DestSlackApp {
		errs = append(errs, confval.Fieldf("destination", "want the name of a slack_app destination, got %q", w.Destination))
	}
	if w.Channel != "" && !slackChannel.MatchString(w.Channel) {
		errs = append(errs, confval.Fieldf("channel", "want a Slack channel id such as C0123456789, got %q", w.Channel))
	}
	if d := w.Interval.Duration; d != 0 && (d < 5*time.Minute || d > 24*time.Hour) {
		errs = append(errs, confval.Fieldf("interval", "want 5m..24h (default 1h)"))
	}
	return errors.Join(errs...)
}

// Wins posts the changes that reached production to a Slack channel: one
// message per interval (aligned to the clock, UTC), listing each change
// with its author and the key results it moved, edited in place while the
// interval lasts and more changes arrive, and left alone when nothing new
// came. Each message is keyed by its interval, so after a crash (or a
// lost answer) it is found again and edited, never posted twice.
type Wins struct {
	src     Source
	api     SlackAppAPI
	channel string
	every   time.Duration
	now     func() time.Time
	log     *slog.Logger

	sent map[string]sentWins // by message key; only the current interval's
}

type sentWins struct{ ts, text string }

// NewWins returns the wins poster for cfg (nil when [report.wins] is
// unset), posting through the named slack_app destination's token. It does
// no I/O.
func NewWins(cfg *Config, src Source, deps Deps, now func() time.Time) (*Wins, error) {
	if cfg == nil || cfg.Wins == nil {
		return nil, nil
	}
	c := withDefaults(cfg)
	cfg = &c
	i := slices.IndexFunc(cfg.Destinations, func(d DestinationConfig) bool { return d.Name == cfg.Wins.Destination })
	if i < 0 {
		return nil, fmt.Errorf("report wins: no destination %q", cfg.Wins.Destination)
	}
	d := cfg.Destinations[i]
	channel := cfg.Wins.Channel
	if channel == "" {
		channel = d.Channel
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	api := slack.NewAPI(d.Token, firstNonEmpty(d.BaseURL, deps.SlackAPIBase), deps.HTTP)
	return newWins(src, api, channel, cfg.Wins.Interval.Duration, now, log), nil
}

func newWins(src Source, api SlackAppAPI, channel string, every time.Duration, now func() time.Time, log *slog.Logger) *Wins {
	return &Wins{src: src, api: api, channel: channel, every: every, now: now, log: log, sent: map[string]sentWins{}}
}

// Run looks for new wins every tenth of the interval (at least every
// minute) until ctx ends; a failed round is logged and retried.
func (w *Wins) Run(ctx context.Context) error {
	t := time.NewTicker(min(max(w.every/10, time.Second), time.Minute))
	defer t.Stop()
	for {
		if err := w.Once(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("wins message failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// win is one change that reached production.
type win struct {
	item   rules.Evidence
	author string
	krs    []string
}

// Once posts or edits the current interval's message. It sends nothing
// when the interval has no wins or the message would not change.
func (w *Wins) Once(ctx context.Context) error {
	now := w.now()
	start := now.UTC().Truncate(w.every)
	wins, err := w.collect(ctx, start, now)
	if err != nil || len(wins) == 0 {
		return err
	}
	key := "wins:" + start.Format(time.RFC3339)
	m := winsMessage(wins, start, start.Add(w.every))
	prev := w.sent[key]
	if prev.text == m.Text+blocksText(m) {
		return nil
	}
	ts, err := w.api.Upsert(ctx, w.channel, key, prev.ts, start, m)
	if err != nil {
		return err
	}
	w.sent = map[string]sentWins{key: {ts: ts, text: m.Text + blocksText(m)}}
	return nil
}

// collect finds the changes shipped in [start, now), oldest first, with
// their authors and the key results whose evidence they are.
func (w *Wins) collect(ctx context.Context, start, now time.Time) ([]win, error) {
	grid, err := w.src.Baseline(ctx, "", calendar.UTC.WeekOf(now), 2, now)
	if err != nil {
		return nil, err
	}
	moved, err := w.src.Moved(ctx, start, now)
	if err != nil {
		return nil, err
	}
	results, err := w.src.Results(ctx, now)
	if err != nil {
		return nil, err
	}
	titles := map[string]string{}
	for _, r := range results {
		titles[r.KRKey] = r.Title
	}
	krsOf := map[string][]string{} // unit → KR titles
	for _, m := range moved {
		for _, e := range m.Evidence {
			if t := titles[m.KRKey]; t != "" && !slices.Contains(krsOf[e.Unit], t) {
				krsOf[e.Unit] = append(krsOf[e.Unit], t)
			}
		}
	}
	var out []win
	seen := map[string]bool{}
	for _, row := range grid.People {
		for _, c := range row.Cells {
			for _, e := range c.Shipped {
				if e.OccurredAt.Before(start) || !e.OccurredAt.Before(now) || seen[e.EventID] {
					continue
				}
				seen[e.EventID] = true
				out = append(out, win{item: e, author: firstNonEmpty(row.Name, row.Person), krs: krsOf[e.Unit]})
			}
		}
	}
	slices.SortFunc(out, func(a, b win) int { return a.item.OccurredAt.Compare(b.item.OccurredAt) })
	return out, nil
}

func winsMessage(wins []win, from, to time.Time) slack.Message {
	lines := make([]string, 0, len(wins))
	for _, x := range wins {
		title := slack.Escape(firstNonEmpty(x.item.Title, x.item.Unit))
		if x.item.URL != "" {
			title = slack.Link(x.item.URL, title)
		}
		line := fmt.Sprintf("• %s — %s", title, slack.Escape(x.author))
		if len(x.krs) > 0 {
			line += " · moved " + slack.Escape(strings.Join(x.krs, ", "))
		}
		lines = append(lines, line)
	}
	head := fmt.Sprintf(":rocket: %d change(s) reached production, %s–%s UTC", len(wins), from.Format("Mon 15:04"), to.Format("15:04"))
	blocks := append([]slack.Block{slack.Section("*" + head + "*")}, slack.Sections(strings.Join(lines, "\n"))...)
	return slack.Message{Text: head, Blocks: blocks}
}

func blocksText(m slack.Message) string {
	var b strings.Builder
	for _, bl := range m.Blocks {
		if bl.Text != nil {
			b.WriteString(bl.Text.Text)
		}
	}
	return b.String()
}
