package linear

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

// Option configures a Source or a Webhook.
type Option func(*sourceOptions)

type sourceOptions struct {
	client []ClientOption
	now    func() time.Time
}

// WithClientOptions passes options to the GraphQL client (transport, retry
// waits, timeout).
func WithClientOptions(o ...ClientOption) Option {
	return func(op *sourceOptions) { op.client = append(op.client, o...) }
}

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(o *sourceOptions) { o.now = now } }

// Source polls Linear for issues and projects updated since its cursors and
// publishes their events. Linear discourages polling: webhooks are the fast
// path and the poll (default every 5 minutes) reconciles what they missed.
type Source struct {
	connector.Health // LastError: the last poll's outcome

	poll    pollSettings
	client  *Client
	pub     connector.Publisher
	cursors connector.CursorStore
	log     *slog.Logger
	m       issueMapper
	now     func() time.Time
	key     string

	pollMu sync.Mutex
}

// NewSource returns a poller for cfg. It does no I/O.
func NewSource(cfg *Config, pub connector.Publisher, cursors connector.CursorStore, log *slog.Logger, opts ...Option) (*Source, error) {
	if err := connector.CheckSource("linear", cfg, pub, cursors, log); err != nil {
		return nil, err
	}
	o := sourceOptions{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	ps := cfg.pollSettings()
	sum := sha256.Sum256([]byte(cfg.BaseURL + "\x00" + strings.Join(ps.teams, ",")))
	return &Source{
		poll: ps, client: NewClient(cfg.BaseURL, cfg.APIKey, o.client...), pub: pub, cursors: cursors, log: log,
		m: issueMapper{poll: ps}, now: o.now, key: hex.EncodeToString(sum[:6]),
	}, nil
}

// Run polls now and then every poll_interval until ctx ends. A failed poll
// is logged and retried at the next tick (LastError reports it); Run
// returns nil when ctx is cancelled.
func (s *Source) Run(ctx context.Context) error {
	return connector.Run(ctx, "linear", s.poll.interval, s.PollOnce, s.log)
}

// PollOnce reads the issues, then the projects, updated since their cursors
// (minus the overlap), following pagination to the end, publishes their
// events and only then advances each cursor. Linear's page order is not
// relied on. It blocks until done.
func (s *Source) PollOnce(ctx context.Context) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	err := s.pollAll(ctx, time.Time{}, nil)
	s.Health.Set(err)
	return err
}

// Backfill implements connector.Backfiller: one poll of the issues and the
// projects updated since since, whatever the cursors say; cursors only
// move forward.
func (s *Source) Backfill(ctx context.Context, since time.Time, progress *connector.Progress) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	err := s.pollAll(ctx, since, progress)
	s.Health.Set(err)
	progress.Done(err)
	return err
}

// pollAll reads the issues, then the projects, from their cursors, or from
// since when it is set.
func (s *Source) pollAll(ctx context.Context, since time.Time, progress *connector.Progress) error {
	r := pollRun{since: since, progress: progress}
	err := s.pollIssues(ctx, r)
	if err == nil {
		err = s.pollProjects(ctx, r)
	}
	return err
}

// pollRun is where a poll starts (zero: at the cursor) and whom it tells
// its progress (nil: nobody).
type pollRun struct {
	since    time.Time
	progress *connector.Progress
}

func (s *Source) pollIssues(ctx context.Context, r pollRun) error {
	key := "issues:" + s.key
	return s.pollConn(ctx, key, r, func(since time.Time, emit func([]event.Event, time.Time) error) error {
		p := pager[issueNode]{client: s.client, query: issuesQuery, field: "issues", size: s.poll.pageSize}
		return p.each(ctx, issueFilter(since, s.poll.teams), func(nodes []issueNode) error {
			var evs []event.Event
			var newest time.Time
			for i := range nodes {
				evs = append(evs, s.m.events(&nodes[i])...)
				newest = later(newest, nodes[i].UpdatedAt)
			}
			return emit(evs, newest)
		})
	})
}

// pollProjects reads the projects of the configured teams (all when none).
// Like the issues cursor, its cursor is keyed by the teams, so that adding
// a team reads that team's projects from the backfill window.
func (s *Source) pollProjects(ctx context.Context, r pollRun) error {
	return s.pollConn(ctx, "projects:"+s.key, r, func(since time.Time, emit func([]event.Event, time.Time) error) error {
		p := pager[polledProject]{client: s.client, query: projectsQuery, field: "projects", size: s.poll.pageSize}
		return p.each(ctx, projectFilter(since, s.poll.teams), func(nodes []polledProject) error {
			var evs []event.Event
			var newest time.Time
			for i := range nodes {
				evs = append(evs, nodes[i].events()...)
				newest = later(newest, nodes[i].UpdatedAt)
			}
			return emit(evs, newest)
		})
	})
}

// pollConn runs read for one cursor: events older than the window start are
// dropped, the rest published page by page, and the cursor advanced to the
// newest updatedAt seen once every page is stored.
func (s *Source) pollConn(ctx context.Context, key string, r pollRun, read func(since time.Time, emit func([]event.Event, time.Time) error) error) error {
	v, err := s.cursors.Cursor(ctx, event.SourceLinear, key)
	if err != nil {
		return fmt.Errorf("linear cursor: %w", err)
	}
	cursor := s.poll.firstCursor(s.now())
	if v != "" {
		if cursor, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return fmt.Errorf("linear cursor %q: %w", v, err)
		}
	}
	start := cursor
	if !r.since.IsZero() {
		start = r.since
	}
	since := start.Add(-s.poll.overlap)
	newest := cursor
	err = read(since, func(evs []event.Event, pageNewest time.Time) error {
		keep := evs[:0]
		for _, ev := range evs {
			if !ev.OccurredAt.Before(since) {
				keep = append(keep, ev)
			}
		}
		if len(keep) > 0 {
			if err := s.pub.Publish(ctx, keep...); err != nil {
				return fmt.Errorf("linear publish: %w", err)
			}
		}
		r.progress.Add(len(keep))
		newest = later(newest, pageNewest)
		return nil
	})
	if err != nil {
		return fmt.Errorf("linear %s: %w", strings.SplitN(key, ":", 2)[0], err)
	}
	if newest.After(cursor) {
		return s.cursors.SetCursor(ctx, event.SourceLinear, key, newest.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
