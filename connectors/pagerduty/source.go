package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/incident"
	"github.com/goalpost/goalpost/pipeline/event"
)

const (
	// window is the widest since/until span one listing asks for
	// (PagerDuty allows six months).
	window = 90 * 24 * time.Hour
	// firstLookback is where a first poll starts without since.
	firstLookback = 30 * 24 * time.Hour
	// openLookback bounds how long an open incident keeps the cursor back
	// (its resolution still arrives by webhook).
	openLookback = 30 * 24 * time.Hour
	// maxOffset is PagerDuty's cap on offset + limit.
	maxOffset = 10000
)

// Source polls PagerDuty's incidents (created since its cursor, oldest
// first, 100 a page). The cursor stays at the oldest incident still open,
// so a later poll sees it resolve; it moves only after the events were
// published.
type Source struct {
	cfg      *Config
	services *incident.Config
	client   *Client
	pub      connector.Publisher
	cursors  connector.CursorStore
	log      *slog.Logger
	now      func() time.Time

	connector.Health // LastError: the last poll's outcome
}

// SourceOption adjusts a Source.
type SourceOption func(*Source)

// WithClient makes the source use c (default NewClient(cfg)).
func WithClient(c *Client) SourceOption { return func(s *Source) { s.client = c } }

// WithClock sets the source's clock (default time.Now).
func WithClock(now func() time.Time) SourceOption { return func(s *Source) { s.now = now } }

// NewSource builds the poller; services (may be nil) maps services to
// repositories and teams. It does no I/O.
func NewSource(cfg *Config, services *incident.Config, pub connector.Publisher, cursors connector.CursorStore, log *slog.Logger, opts ...SourceOption) (*Source, error) {
	if cfg == nil || pub == nil || cursors == nil {
		return nil, errors.New("pagerduty source: config, publisher and cursor store are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{cfg: cfg, services: services, pub: pub, cursors: cursors, log: log, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.client == nil {
		s.client = NewClient(cfg)
	}
	return s, nil
}

// Run polls every poll_interval (default 5m) until ctx ends.
func (s *Source) Run(ctx context.Context) error {
	return connector.Run(ctx, "pagerduty", s.cfg.PollInterval.Or(DefaultPollInterval), s.PollOnce, s.log)
}

// PollOnce reads every incident created since the cursor, in windows of
// at most 90 days, and publishes its events.
func (s *Source) PollOnce(ctx context.Context) error {
	err := s.poll(ctx, connector.Pass{})
	s.Health.Set(err)
	return err
}

// Backfill implements connector.Backfiller: every incident created since
// since (windows of 90 days: PagerDuty refuses since/until ranges over six
// months), whatever the cursor says; the cursor only moves forward.
func (s *Source) Backfill(ctx context.Context, since time.Time, progress *connector.Progress) error {
	return connector.RunBackfill(since, progress, &s.Health, func(p connector.Pass) error { return s.poll(ctx, p) })
}

// poll reads from the cursor (the backfill's start) to now, window by
// window, and then moves the cursor to the oldest incident still open
// (within openLookback), else to now.
func (s *Source) poll(ctx context.Context, pass connector.Pass) error {
	cursor, err := connector.LoadTimeCursor(ctx, s.cursors, event.SourcePagerDuty, "incidents",
		connector.FirstStart(s.cfg.Since, firstLookback, s.now().UTC()))
	if err != nil {
		return err
	}
	until := s.now().UTC()
	next := until
	for start := pass.From(cursor.At()).UTC(); start.Before(until); start = start.Add(window) {
		end := start.Add(window)
		if end.After(until) {
			end = until
		}
		oldestOpen, err := s.pollWindow(ctx, start, end, pass)
		if err != nil {
			return err
		}
		if !oldestOpen.IsZero() && oldestOpen.Before(next) && until.Sub(oldestOpen) < openLookback {
			next = oldestOpen
		}
	}
	return cursor.Advance(ctx, next)
}

// pollWindow publishes the incidents created in [since, until) and returns
// the creation time of the oldest one still open.
func (s *Source) pollWindow(ctx context.Context, since, until time.Time, pass connector.Pass) (time.Time, error) {
	var oldestOpen time.Time
	for offset := 0; offset+100 <= maxOffset; offset += 100 {
		q := url.Values{"since": {since.Format(time.RFC3339)}, "until": {until.Format(time.RFC3339)},
			"limit": {"100"}, "offset": {strconv.Itoa(offset)}, "sort_by": {"created_at:asc"}, "time_zone": {"UTC"}}
		for _, id := range s.cfg.ServiceIDs {
			q.Add("service_ids[]", id)
		}
		var page struct {
			Incidents []apiIncident `json:"incidents"`
			More      bool          `json:"more"`
		}
		if err := s.client.get(ctx, "/incidents", q, &page); err != nil {
			return time.Time{}, fmt.Errorf("list incidents: %w", err)
		}
		pass.Read(len(page.Incidents))
		var evs []event.Event
		for _, a := range page.Incidents {
			evs = append(evs, s.services.Events(a.model())...)
			if a.Status != "resolved" && (oldestOpen.IsZero() || a.CreatedAt.Before(oldestOpen)) {
				oldestOpen = a.CreatedAt
			}
		}
		if len(evs) > 0 {
			if err := s.pub.Publish(ctx, evs...); err != nil {
				return time.Time{}, fmt.Errorf("publish: %w", err)
			}
		}
		if !page.More {
			return oldestOpen, nil
		}
	}
	s.log.Warn("pagerduty: more than 10,000 incidents in one 90-day window; the rest are skipped (narrow service_ids)", "since", since)
	return oldestOpen, nil
}
