package incidentio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/incident"
	"github.com/goalpost/goalpost/pipeline/event"
)

const (
	pageSize      = 250
	maxPages      = 400
	firstLookback = 30 * 24 * time.Hour
)

// Source polls incident.io's incidents updated since its cursor (the
// filter takes a date, so the cursor's day is read again and deduplicated
// by event id), 250 a page following pagination_meta.after. The cursor
// moves after each page's events were published.
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

// NewSource builds the poller over client; services (may be nil) maps
// services to repositories and teams. It does no I/O.
func NewSource(cfg *Config, services *incident.Config, client *Client, pub connector.Publisher, cursors connector.CursorStore, log *slog.Logger, now func() time.Time) (*Source, error) {
	if cfg == nil || client == nil || pub == nil || cursors == nil {
		return nil, errors.New("incident.io source: config, client, publisher and cursor store are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Source{cfg: cfg, services: services, client: client, pub: pub, cursors: cursors, log: log, now: now}, nil
}

// Run polls every poll_interval (default 5m) until ctx ends.
func (s *Source) Run(ctx context.Context) error {
	return connector.Run(ctx, "incident.io", s.cfg.PollInterval.Or(DefaultPollInterval), s.PollOnce, s.log)
}

// PollOnce reads the incidents updated since the cursor.
func (s *Source) PollOnce(ctx context.Context) error {
	err := s.poll(ctx, connector.Pass{})
	s.Health.Set(err)
	return err
}

// Backfill implements connector.Backfiller: every incident updated since
// since, whatever the cursor says; the cursor only moves forward.
func (s *Source) Backfill(ctx context.Context, since time.Time, progress *connector.Progress) error {
	return connector.RunBackfill(since, progress, &s.Health, func(p connector.Pass) error { return s.poll(ctx, p) })
}

// poll reads the incidents updated on or after the cursor's day (the
// backfill's start's day), page by page, and moves the cursor to the newest
// update once every page was published: the pages come in creation order,
// so a cursor moved after a page could skip an older update on the next.
func (s *Source) poll(ctx context.Context, pass connector.Pass) error {
	cursor, err := connector.LoadTimeCursor(ctx, s.cursors, event.SourceIncidentIO, "incidents",
		connector.FirstStart(s.cfg.Since, firstLookback, s.now().UTC()))
	if err != nil {
		return err
	}
	q := url.Values{"page_size": {fmt.Sprint(pageSize)}, "updated_at[gte]": {pass.From(cursor.At()).UTC().Format(time.DateOnly)}}
	newest := cursor.At()
	for range maxPages {
		var page struct {
			Incidents []apiIncident `json:"incidents"`
			Meta      struct {
				After string `json:"after"`
			} `json:"pagination_meta"`
		}
		if err := s.client.get(ctx, "/v2/incidents", q, &page); err != nil {
			return fmt.Errorf("list incidents: %w", err)
		}
		pass.Read(len(page.Incidents))
		var evs []event.Event
		for _, a := range page.Incidents {
			if a.counted() {
				evs = append(evs, s.services.Events(a.model(s.cfg))...)
			}
			if a.UpdatedAt.After(newest) {
				newest = a.UpdatedAt
			}
		}
		if len(evs) > 0 {
			if err := s.pub.Publish(ctx, evs...); err != nil {
				return fmt.Errorf("publish: %w", err)
			}
		}
		if page.Meta.After == "" || len(page.Incidents) < pageSize {
			break
		}
		q.Set("after", page.Meta.After)
	}
	return cursor.Advance(ctx, newest)
}
