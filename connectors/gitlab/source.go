package gitlab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

// firstPollLookback is how far back a first poll reads when no since is
// configured: merge requests merged shortly before goalpost started still
// ship with the next deploy.
const firstPollLookback = 14 * 24 * time.Hour

// projectsTTL is how long the resolved project list (groups listed,
// default branches) is reused.
const projectsTTL = 15 * time.Minute

// Source polls GitLab: per project (listed, or found in groups), merged
// and other merge requests (updated_after, following GitLab's next-page
// links, keyset or offset), and production deployments. Each resource has
// its own cursor, advanced only after its events were published. It
// attributes production deploys together with the webhook (WithSource)
// through one shared attributor.
type Source struct {
	connector.Health // LastError: the last poll's outcome

	cfg     *Config
	client  *Client
	api     *gl.Client
	pub     connector.Publisher
	cursors connector.CursorStore
	log     *slog.Logger
	now     func() time.Time
	att     *attribution.Attributor

	mu       sync.Mutex
	projects []project
	listedAt time.Time
}

// project is one polled project.
type project struct {
	Path          string
	DefaultBranch string
}

// SourceOption adjusts a Source.
type SourceOption func(*Source)

// WithAPIClient makes the source use c (default: NewClient(cfg, log)).
func WithAPIClient(c *Client) SourceOption { return func(s *Source) { s.client = c } }

// WithSourceClock sets the source's clock (default time.Now).
func WithSourceClock(now func() time.Time) SourceOption { return func(s *Source) { s.now = now } }

// NewSource builds the poller; it does no I/O.
func NewSource(cfg *Config, pub connector.Publisher, cursors connector.CursorStore, log *slog.Logger, opts ...SourceOption) (*Source, error) {
	if cfg == nil || pub == nil || cursors == nil {
		return nil, errors.New("gitlab source: config, publisher and cursor store are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{cfg: cfg, pub: pub, cursors: cursors, log: log, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.client == nil {
		c, err := NewClient(cfg, log, WithClock(s.now))
		if err != nil {
			return nil, err
		}
		s.client = c
	}
	s.api = s.client.API()
	s.att = attribution.New(host{api: s.api, log: log, compareLimit: defaultCompareLimit}, cursors, pub, attribution.Config{
		Source: event.SourceGitLab, Since: cfg.since(), ShippedAt: cfg.ShippedAt, Log: log,
		ShipOnMerge: func(project string) bool { return cfg.settingsFor(project).ShipOnMerge },
	})
	return s, nil
}

// Client returns the source's API client (for its request counter).
func (s *Source) Client() *Client { return s.client }

// Run polls every poll_interval (default 1m) until ctx ends, starting at
// once. A failed poll is logged and remembered (LastError). It returns nil
// when ctx is cancelled.
func (s *Source) Run(ctx context.Context) error {
	return connector.Run(ctx, "gitlab", s.cfg.PollInterval.Or(DefaultPollInterval), s.PollOnce, s.log)
}

// PollOnce runs one incremental poll of every project, one after the
// other, and returns their errors joined; a failing project does not stop
// the others and its cursors stay where they were.
func (s *Source) PollOnce(ctx context.Context) error {
	err := s.poll(ctx, connector.Pass{})
	s.Health.Set(err)
	return err
}

// Backfill implements connector.Backfiller: every project's merge requests
// and production deployments updated since since, whatever the cursors
// say (the first deploy read is attributed back to since); cursors only
// move forward.
func (s *Source) Backfill(ctx context.Context, since time.Time, progress *connector.Progress) error {
	return connector.RunBackfill(since, progress, &s.Health, func(p connector.Pass) error { return s.poll(ctx, p) })
}

func (s *Source) poll(ctx context.Context, pass connector.Pass) error {
	projects, err := s.targets(ctx)
	errs := []error{err}
	for _, p := range projects {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		if err := errors.Join(s.pollMRs(ctx, p, pass), s.pollDeployments(ctx, p, pass)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Path, err))
		}
	}
	return errors.Join(errs...)
}

// targets lists the projects to poll: the configured ones and those the
// groups select (subgroups included, archived left out), cached for
// projectsTTL.
func (s *Source) targets(ctx context.Context) ([]project, error) {
	s.mu.Lock()
	if s.projects != nil && s.now().Sub(s.listedAt) < projectsTTL {
		defer s.mu.Unlock()
		return s.projects, nil
	}
	s.mu.Unlock()
	var out []project
	var errs []error
	seen := map[string]bool{}
	for _, pc := range s.cfg.Projects {
		p, _, err := s.api.Projects.GetProject(pc.Path, nil, gl.WithContext(ctx))
		if err != nil {
			errs = append(errs, apiErr("project "+pc.Path, err))
			continue
		}
		seen[p.PathWithNamespace] = true
		out = append(out, project{Path: p.PathWithNamespace, DefaultBranch: p.DefaultBranch})
	}
	for _, g := range s.cfg.Groups {
		ps, err := s.groupProjects(ctx, g)
		errs = append(errs, err)
		for _, p := range ps {
			if !seen[p.Path] {
				seen[p.Path] = true
				out = append(out, p)
			}
		}
	}
	err := errors.Join(errs...)
	if err == nil {
		s.mu.Lock()
		s.projects, s.listedAt = out, s.now()
		s.mu.Unlock()
	}
	return out, err
}

func (s *Source) groupProjects(ctx context.Context, g GroupConfig) ([]project, error) {
	opt := &gl.ListGroupProjectsOptions{IncludeSubGroups: gl.Ptr(true), Archived: gl.Ptr(false), Simple: gl.Ptr(true)}
	opt.PerPage = 100
	var out []project
	opts := []gl.RequestOptionFunc{gl.WithContext(ctx)}
	for range maxRangePages {
		page, resp, err := s.api.Groups.ListGroupProjects(g.Path, opt, opts...)
		if err != nil {
			return out, apiErr("projects of group "+g.Path, err)
		}
		for _, p := range page {
			if g.selects(p.PathWithNamespace) {
				out = append(out, project{Path: p.PathWithNamespace, DefaultBranch: p.DefaultBranch})
			}
		}
		next, ok := gl.WithNext(resp)
		if !ok {
			break
		}
		opts = []gl.RequestOptionFunc{gl.WithContext(ctx), next}
	}
	return out, nil
}

// cursor loads a resource's time cursor; unset, it is at the configured
// since, else firstPollLookback before now.
func (s *Source) cursor(ctx context.Context, key string) (*connector.TimeCursor, error) {
	return connector.LoadTimeCursor(ctx, s.cursors, event.SourceGitLab, key,
		connector.FirstStart(s.cfg.Since, firstPollLookback, s.now()))
}
