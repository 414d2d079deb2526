package asana

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

// Option configures a Source or a Webhook.
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

func newOptions(opts []Option) options {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Source polls the configured projects for tasks modified since each
// project's cursor (minus the overlap), following offset pagination, and
// publishes their events; a cursor advances only after its events are
// stored. Webhooks are the fast path; the poll reconciles what they missed
// (Asana delivers webhooks at most once).
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
	if err := connector.CheckSource("asana", cfg, pub, cursors, log); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	s := cfg.settings()
	return &Source{s: s, client: NewClient(cfg.baseURL(), cfg.Token, cfg.RequestsPerMinute, o.client...),
		pub: pub, cursors: cursors, log: log, m: mapper{s: s}, now: o.now}, nil
}

// Client is the source's REST client (the webhook fetches tasks with it,
// so both spend one rate-limit budget).
func (s *Source) Client() *Client { return s.client }

// Run polls now and then every poll_interval until ctx ends; a failed
// poll is logged and retried at the next tick.
func (s *Source) Run(ctx context.Context) error {
	return connector.Run(ctx, "asana", s.s.interval, s.PollOnce, s.log)
}

// PollOnce polls every configured project once; a failing project does
// not stop the others. It blocks until done.
func (s *Source) PollOnce(ctx context.Context) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	err := s.poll(ctx, connector.Pass{})
	s.Health.Set(err)
	return err
}

// Backfill implements connector.Backfiller: every project's tasks modified
// since since, whatever the cursors say; cursors only move forward.
func (s *Source) Backfill(ctx context.Context, since time.Time, progress *connector.Progress) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	return connector.RunBackfill(since, progress, &s.Health, func(p connector.Pass) error { return s.poll(ctx, p) })
}

func (s *Source) poll(ctx context.Context, pass connector.Pass) error {
	var errs []error
	for _, p := range s.s.projects {
		if err := s.pollProject(ctx, p, pass); err != nil {
			errs = append(errs, fmt.Errorf("asana project %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// pollProject reads the project's tasks modified since the cursor (minus
// the overlap), or since the backfill's start, page by page, and moves the
// cursor to the newest modification once every page was published.
func (s *Source) pollProject(ctx context.Context, project string, pass connector.Pass) error {
	cursor, err := connector.LoadTimeCursor(ctx, s.cursors, event.SourceAsana, "tasks:"+project,
		connector.FirstStart(s.s.since, s.s.backfill, s.now()))
	if err != nil {
		return err
	}
	since := pass.From(cursor.At()).Add(-s.s.overlap)
	newest := cursor.At()
	q := url.Values{"project": {project}, "modified_since": {since.UTC().Format(time.RFC3339)},
		"limit": {strconv.Itoa(s.s.pageSize)}, "opt_fields": {taskFields}}
	for {
		var page []task
		next, err := s.client.Get(ctx, "/tasks", q, &page)
		if err != nil {
			return err
		}
		pass.Read(len(page))
		var evs []event.Event
		for i := range page {
			for _, ev := range s.m.events(&page[i]) {
				if !ev.OccurredAt.Before(since) { // older facts were published by earlier polls
					evs = append(evs, ev)
				}
			}
			if page[i].ModifiedAt.After(newest) {
				newest = page[i].ModifiedAt
			}
		}
		if len(evs) > 0 {
			if err := s.pub.Publish(ctx, evs...); err != nil {
				return fmt.Errorf("publish: %w", err)
			}
		}
		if next == "" {
			return cursor.Advance(ctx, newest)
		}
		q.Set("offset", next)
	}
}

// fetch reads one task with taskFields; found is false when Asana answers
// 404 (deleted, or no longer visible to the token).
func (c *Client) fetch(ctx context.Context, gid string) (t task, found bool, err error) {
	_, err = c.Get(ctx, "/tasks/"+url.PathEscape(gid), url.Values{"opt_fields": {taskFields}}, &t)
	if IsStatus(err, 404) {
		return task{}, false, nil
	}
	return t, err == nil, err
}
