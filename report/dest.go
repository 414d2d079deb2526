package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/connectors/slack"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// Sender delivers one team's weekly report to one place.
//
// Deliver sends r, starting after the parts already confirmed in done (zero
// for a new delivery). After each part is confirmed delivered it calls
// confirm with the progress so far and stops with confirm's error if that
// fails. It blocks until every part is delivered, ctx ends, or an attempt
// fails after the HTTP layer's bounded retries (429/5xx with Retry-After are
// retried there). The caller retries a failed delivery later with the last
// confirmed progress, so Deliver must be safe to call again for the same
// (frozen) report: it never resends a confirmed part; a part in flight when
// the process stopped may be sent twice unless the destination can detect
// it (Notion and file destinations do). Errors marked with outbox.Permanent
// (or whose Permanent() reports true) are not worth retrying (a revoked webhook, an unshared page). Errors never contain
// secrets.
type Sender interface {
	Deliver(ctx context.Context, r *Report, done Progress, confirm func(context.Context, Progress) error) error
}

// Progress is how far a delivery got: the parts confirmed delivered (Slack
// messages, Notion blocks) and the destination's reference (a Notion page
// id, a file path). The outbox row keeps it (outbox.Progress).
type Progress = outbox.Progress

// Destination is a named Sender and the teams it serves.
type Destination struct {
	Name   string
	Teams  []string // empty: every team
	Sender Sender
}

func (d Destination) forTeam(team string) bool {
	c := DestinationConfig{Teams: d.Teams}
	return c.forTeam(team)
}

// Deps are what destinations need besides their config.
type Deps struct {
	// Stdout receives stdout destinations' reports (nil: os.Stdout).
	Stdout io.Writer
	// Notion is the [notion] section (nil when absent): notion destinations
	// talk to Notion through its client (base URL, rate), with the
	// destination's own token when it has one, else [notion] token.
	Notion *notion.Config
	// HTTP is the base transport for Slack and Notion (nil: the default);
	// each client wraps it in its upstream's one retry policy.
	HTTP http.RoundTripper
	Log  *slog.Logger
	// Person finds a person's email and display name by key (slack_app
	// destinations map people to Slack users by email); nil: nobody.
	Person func(key string) (email, name string, ok bool)
	// Manager finds a person's manager's key ("": none); slack_app nudges
	// go to the manager too. nil: nobody has one.
	Manager func(key string) string
	// SlackAPIBase is the Slack Web API base ("": Slack's).
	SlackAPIBase string
}

// NewDestinations builds the configured destinations. It does no I/O.
func NewDestinations(cfg *Config, deps Deps) ([]Destination, error) {
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	out := make([]Destination, 0, len(cfg.Destinations))
	for _, dc := range cfg.Destinations {
		s, err := newSender(dc, deps)
		if err != nil {
			return nil, fmt.Errorf("report destination %s: %w", dc.Name, err)
		}
		out = append(out, Destination{Name: dc.Name, Teams: dc.Teams, Sender: s})
	}
	return out, nil
}

func newSender(dc DestinationConfig, deps Deps) (Sender, error) {
	log := deps.Log.With("destination", dc.Name)
	switch dc.Type {
	case DestStdout:
		f, err := dc.format()
		if err != nil {
			return nil, err
		}
		w := deps.Stdout
		if w == nil {
			w = os.Stdout
		}
		return &Writer{W: w, Format: f}, nil
	case DestFile:
		f, err := dc.format()
		if err != nil {
			return nil, err
		}
		return &File{Path: dc.Path, Format: f}, nil
	case DestSlack:
		return NewSlackWebhook(slack.NewWebhook(dc.WebhookURL, deps.HTTP), log), nil
	case DestSlackApp:
		a := NewSlackApp(slack.NewAPI(dc.Token, firstNonEmpty(dc.BaseURL, deps.SlackAPIBase), deps.HTTP), dc.Channel, dc.Nudge, deps.Person, log)
		if deps.Manager != nil {
			a.manager = deps.Manager
		}
		return a, nil
	case DestNotion:
		c, err := newNotionClient(dc, deps, log)
		if err != nil {
			return nil, err
		}
		return NewNotionPages(c, dc.ParentPageID, log)
	}
	return nil, fmt.Errorf("unknown type %q", dc.Type)
}

// newNotionClient is the Notion client for a notion destination.
func newNotionClient(dc DestinationConfig, deps Deps, log *slog.Logger) (*notion.Client, error) {
	var cfg notion.Config
	if deps.Notion != nil {
		cfg = *deps.Notion
	}
	if dc.Token.IsSet() {
		cfg.Token = dc.Token
	}
	if !cfg.Token.IsSet() {
		return nil, errors.New("no notion token: set [notion] token or the destination's token")
	}
	var hc *http.Client
	if deps.HTTP != nil {
		hc = &http.Client{Transport: deps.HTTP}
	}
	return notion.NewClient(&cfg, hc, log)
}

// Writer writes the rendered report to W (stdout). It is one part and is
// not idempotent: a crash after writing and before confirming writes it
// again.
type Writer struct {
	W      io.Writer
	Format string
}

// Deliver implements Sender.
func (d *Writer) Deliver(ctx context.Context, r *Report, done Progress, confirm func(context.Context, Progress) error) error {
	if done.Parts > 0 {
		return nil
	}
	if err := Render(r, d.Format, d.W); err != nil {
		return err
	}
	return confirm(ctx, Progress{Parts: 1})
}

// File writes the rendered report to a file, replacing it atomically
// (a temporary file renamed into place), so delivering again is harmless.
// "{team}" and "{week}" in Path are replaced by the team name ("all" for
// team "") and the ISO week.
type File struct {
	Path   string
	Format string
}

// Deliver implements Sender.
func (d *File) Deliver(ctx context.Context, r *Report, done Progress, confirm func(context.Context, Progress) error) error {
	path := d.path(r)
	if err := writeAtomic(path, func(w io.Writer) error { return Render(r, d.Format, w) }); err != nil {
		return err
	}
	return confirm(ctx, Progress{Parts: 1, Ref: path})
}

// writeAtomic replaces the file at path with what render writes: a
// temporary file synced and renamed into place.
func writeAtomic(path string, render func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("report file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*")
	if err != nil {
		return fmt.Errorf("report file: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // no-op after the rename
	err = render(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("report file: %w", err)
	}
	return nil
}

func (d *File) path(r *Report) string {
	team := r.Team
	if team == "" {
		team = "all"
	}
	return strings.NewReplacer("{team}", safeFileName(team), "{week}", r.Week.String()).Replace(d.Path)
}

// safeFileName keeps a team name from escaping the directory.
func safeFileName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' {
			return '_'
		}
		return r
	}, s)
	if s == "." || s == ".." {
		return "_"
	}
	return s
}
