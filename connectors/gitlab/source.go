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
		Source: event.SourceGitLab, Since: cfg.since(), Log: log,
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
	projects, err := s.targets(ctx)
	errs := []error{err}
	for _, p := range projects {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		if err := errors.Join(s.pollMRs(ctx, p), s.pollDeployments(ctx, p)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Path, err))
		}
	}
	err = errors.Join(errs...)
	s.Health.Set(err)
	return err
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

// start is where a resource's first poll begins.
func (s *Source) start() time.Time {
	if since := s.cfg.since(); !since.IsZero() {
		return since
	}
	return s.now().Add(-firstPollLookback)
}

// cursor reads a time cursor (the start when unset or unreadable).
func (s *Source) cursor(ctx context.Context, key string) (time.Time, error) {
	raw, err := s.cursors.Cursor(ctx, event.SourceGitLab, key)
	if err != nil {
		return time.Time{}, err
	}
	if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
		return t, nil
	}
	return s.start(), nil
}

func (s *Source) setCursor(ctx context.Context, key string, t time.Time) error {
	return s.cursors.SetCursor(ctx, event.SourceGitLab, key, t.UTC().Format(time.RFC3339Nano))
}
