package trello

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

// Option configures a Source.
type Option func(*options)

type options struct {
	client []ClientOption
	now    func() time.Time
}

// WithClientOptions passes options to the REST client.
func WithClientOptions(o ...ClientOption) Option {
	return func(op *options) { op.client = append(op.client, o...) }
}

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Source polls each configured board's card actions since the board's
// cursor (minus the overlap), newest first, paging back with before=, and
// publishes one event per action that changes a card's state (see
// mapper.event), with labels and members from one read of the board's
// cards. A cursor advances only after its events are stored.
type Source struct {
	connector.Health // LastError: the last poll's outcome

	s       settings
	client  *Client
	pub     connector.Publisher
	cursors connector.CursorStore
	log     *slog.Logger
	m       mapper
	now     func() time.Time

	pollMu sync.Mutex
}

// NewSource returns a poller for cfg. It does no I/O.
func NewSource(cfg *Config, pub connector.Publisher, cursors connector.CursorStore, log *slog.Logger, opts ...Option) (*Source, error) {
	if err := connector.CheckSource("trello", cfg, pub, cursors, log); err != nil {
		return nil, err
	}
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	s := cfg.settings()
	return &Source{s: s, client: NewClient(cfg.BaseURL, cfg.Key, cfg.Token, cfg.RequestsPer10s, o.client...),
		pub: pub, cursors: cursors, log: log, m: mapper{s: s}, now: o.now}, nil
}

// Client is the source's REST client (the webhook reads cards with it:
// one rate-limit budget per token).
func (s *Source) Client() *Client { return s.client }

// Run polls now and then every poll_interval until ctx ends.
func (s *Source) Run(ctx context.Context) error {
	return connector.Run(ctx, "trello", s.s.interval, s.PollOnce, s.log)
}

// PollOnce polls every board once; a failing board does not stop the
// others.
func (s *Source) PollOnce(ctx context.Context) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	err := s.poll(ctx, connector.Pass{})
	s.Health.Set(err)
	return err
}

// Backfill implements connector.Backfiller: every board's card actions
// since since, whatever the cursors say; cursors only move forward.
func (s *Source) Backfill(ctx context.Context, since time.Time, progress *connector.Progress) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	return connector.RunBackfill(since, progress, &s.Health, func(p connector.Pass) error { return s.poll(ctx, p) })
}

func (s *Source) poll(ctx context.Context, pass connector.Pass) error {
	var errs []error
	for _, b := range s.s.order {
		if err := s.pollBoard(ctx, b, pass); err != nil {
			errs = append(errs, fmt.Errorf("trello board %s: %w", b, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Source) pollBoard(ctx context.Context, board string, pass connector.Pass) error {
	cursor, err := connector.LoadTimeCursor(ctx, s.cursors, event.SourceTrello, "actions:"+board,
		connector.FirstStart(s.s.since, s.s.backfill, s.now()))
	if err != nil {
		return err
	}
	acts, err := s.actions(ctx, board, pass.From(cursor.At()).Add(-s.s.overlap), pass)
	if err != nil || len(acts) == 0 {
		return err
	}
	cards, err := s.cards(ctx, board)
	if err != nil {
		return err
	}
	var evs []event.Event
	newest := cursor.At()
	for i := range acts {
		a := &acts[i]
		if ev, ok := s.m.event(a, cards[a.cardID()]); ok {
			evs = append(evs, ev)
		}
		newest = later(newest, a.Date)
	}
	if len(evs) > 0 {
		if err := s.pub.Publish(ctx, evs...); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
	}
	return cursor.Advance(ctx, newest)
}

// actions reads the board's card actions since, all pages (Trello answers
// newest first; a short page is the last).
func (s *Source) actions(ctx context.Context, board string, since time.Time, pass connector.Pass) ([]action, error) {
	q := url.Values{"filter": {actionFilter}, "limit": {strconv.Itoa(s.s.pageSize)},
		"since": {since.UTC().Format("2006-01-02T15:04:05.000Z")}, "memberCreator_fields": {"username"}}
	var all []action
	for {
		var page []action
		if err := s.client.Get(ctx, "/boards/"+url.PathEscape(board)+"/actions", q, &page); err != nil {
			return nil, err
		}
		pass.Read(len(page))
		all = append(all, page...)
		if len(page) < s.s.pageSize {
			return all, nil
		}
		q.Set("before", page[len(page)-1].ID)
	}
}

// cards reads every card of the board, archived ones included, by id.
func (s *Source) cards(ctx context.Context, board string) (map[string]*card, error) {
	q := cardQuery()
	q.Set("filter", "all")
	var list []card
	if err := s.client.Get(ctx, "/boards/"+url.PathEscape(board)+"/cards", q, &list); err != nil {
		return nil, err
	}
	out := make(map[string]*card, len(list))
	for i := range list {
		out[list[i].ID] = &list[i]
	}
	return out, nil
}

func (a *action) cardID() string {
	if a.Data.Card == nil {
		return ""
	}
	return a.Data.Card.ID
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
