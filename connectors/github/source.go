package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

// Source polls GitHub: per repository (listed, or found in organizations),
// pull requests, releases, deployments with their statuses, the deploy
// workflow's runs, and failed webhook deliveries to redeliver. Every resource
// has its own cursor, advanced only after its events were published. It
// attributes production deploys to pull requests together with the webhook
// (see WithSource), through one shared attributor.
type Source struct {
	connector.Health // LastError: the last poll's outcome

	cfg     *Config
	client  *Client
	api     *gh.Client
	pub     connector.Publisher
	cursors connector.CursorStore
	log     *slog.Logger
	now     func() time.Time

	etags ETagStore // for the client NewSource builds

	att     *attribution.Attributor
	repos   *repoCache
	retries *redeliveries
	warn    func(kind string) // counts a warning (see WithWarnings)
}

// SourceOption adjusts a Source.
type SourceOption func(*Source)

// WithAPIClient makes the source use c (default: NewClient(cfg, nil)).
func WithAPIClient(c *Client) SourceOption { return func(s *Source) { s.client = c } }

// WithETagStore keeps the client's ETag cache (conditional requests, whose
// 304s GitHub does not count against the rate limit) in st as well as in
// memory, so that a new process (`goalpost sync --once`) polls what did not
// change with 304s too; *store.Store satisfies ETagStore. It applies to the
// client NewSource builds: with WithAPIClient, build that client with
// WithClientETagStore instead (NewSource fails if both are given).
func WithETagStore(st ETagStore) SourceOption { return func(s *Source) { s.etags = st } }

// WithWarnings makes the source call count(kind) for each trouble that
// does not fail the poll: kind "redelivery" is a failed look-up or
// redelivery of webhook deliveries (e.g. a token without webhook read
// permission). main passes a metrics counter.
func WithWarnings(count func(kind string)) SourceOption { return func(s *Source) { s.warn = count } }

// WithSourceClock sets the source's clock (default time.Now).
func WithSourceClock(now func() time.Time) SourceOption { return func(s *Source) { s.now = now } }

// NewSource builds the poller; it does no I/O.
func NewSource(cfg *Config, pub connector.Publisher, cursors connector.CursorStore, log *slog.Logger, opts ...SourceOption) (*Source, error) {
	if cfg == nil || pub == nil || cursors == nil {
		return nil, errors.New("github source: config, publisher and cursor store are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{cfg: cfg, pub: pub, cursors: cursors, log: log, now: time.Now, warn: func(string) {}}
	for _, o := range opts {
		o(s)
	}
	if err := s.buildClient(); err != nil {
		return nil, err
	}
	s.api = s.client.API()
	s.repos = newRepoCache(s.api, cfg, s.now)
	s.retries = newRedeliveries()
	s.att = attribution.New(host{api: s.api, log: log, workflow: s.deployWorkflow}, cursors, pub, attribution.Config{
		Source: event.SourceGitHub, Since: cfg.since(), ShippedAt: cfg.ShippedAt, Log: log,
		ShipOnMerge: func(repo string) bool { return cfg.settingsFor(repo).ShipOnMerge },
		RepoName: func(ctx context.Context, repo string) string {
			if meta, err := s.repos.get(ctx, repo); err == nil {
				return meta.FullName // GitHub's spelling, so ids match the poller's
			}
			return repo
		},
	})
	return s, nil
}

// deployWorkflow returns repo's deploy workflow file and default branch
// ("" when it has none or the branch cannot be read).
func (s *Source) deployWorkflow(ctx context.Context, repo string) (file, branch string) {
	file = s.cfg.settingsFor(repo).DeployWorkflow
	meta, err := s.repos.get(ctx, repo)
	if file == "" || err != nil {
		return "", ""
	}
	return file, meta.DefaultBranch
}

// buildClient makes the default client unless WithAPIClient gave one.
func (s *Source) buildClient() error {
	if s.client != nil {
		if s.etags != nil {
			return errors.New("github source: WithETagStore applies to the client NewSource builds; build the WithAPIClient client with WithClientETagStore")
		}
		return nil
	}
	opts := []ClientOption{WithClock(s.now), WithClientLog(s.log)}
	if s.etags != nil {
		opts = append(opts, WithClientETagStore(s.etags))
	}
	c, err := NewClient(s.cfg, nil, opts...)
	if err != nil {
		return err
	}
	s.client = c
	return nil
}

// Client returns the source's API client (for its request counters).
func (s *Source) Client() *Client { return s.client }

// Run polls every poll_interval (default 1m) until ctx ends, starting at
// once. A failed poll is logged and remembered (LastError); the next one
// tries again. It returns nil when ctx is cancelled.
func (s *Source) Run(ctx context.Context) error {
	return connector.Run(ctx, "github", s.cfg.PollInterval.Or(DefaultPollInterval), s.PollOnce, s.log)
}

// PollOnce runs one full incremental poll of every repository (at most
// concurrency at a time) and returns the errors joined. A repository that
// fails does not stop the others; its cursors stay where they were.
func (s *Source) PollOnce(ctx context.Context) error {
	err := s.poll(ctx, pollMode{since: s.cfg.since()})
	s.Health.Set(err)
	return err
}

// Attribution is the source's attributor: deploys of GitHub repositories
// reported from outside GitHub (the deploy document webhook) go to its
// Publish, and are attributed with the poller's PR index and state.
func (s *Source) Attribution() *attribution.Attributor { return s.att }

// learn takes what a webhook delivery tells about a repository and the PRs
// it merged, so later polls and attributions need fewer API calls.
func (s *Source) learn(repo *gh.Repository, merged []prInfo) {
	if repo != nil {
		s.repos.remember(repo)
	}
	for _, p := range merged {
		s.att.Remember(p.change())
	}
}

// attribute attributes and publishes a finished production deploy the
// webhook reported. Until a poll has read the repository's deploys once
// (the first poll walks them oldest first from since), the deploy is left
// to that poll, which reads it too: attributed now, it would ship the whole
// history, and the older deploys the poll then reads would ship nothing.
func (s *Source) attribute(ctx context.Context, d attribution.Deploy) error {
	key := "deployments:" + d.Repo
	if strings.HasPrefix(d.Key, "run-") {
		key = "runs:" + d.Repo
	}
	var cur struct {
		Init bool `json:"init"`
	}
	if err := s.loadJSON(ctx, key, &cur); err != nil {
		return err
	}
	if !cur.Init {
		s.log.Debug("deploy left to the first poll", "repo", d.Repo, "deploy", d.Key)
		return nil
	}
	return s.att.PublishSince(ctx, d, s.cfg.since())
}

// pollMode is what differs between a regular poll and a backfill.
type pollMode struct {
	backfill bool
	// since is the backfill start; in a regular poll it is the configured
	// since (zero if none), used by first polls and first deploys.
	since    time.Time
	repoDone func(total int)
}

// poll polls every target with bounded concurrency.
func (s *Source) poll(ctx context.Context, m pollMode) error {
	targets, err := s.repos.targets(ctx)
	errs := []error{err}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, s.concurrency())
	for _, t := range targets {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return errors.Join(append(errs, ctx.Err())...)
		}
		wg.Go(func() {
			defer func() { <-sem }()
			err := s.pollRepo(ctx, t, m)
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
			if m.repoDone != nil {
				m.repoDone(len(targets))
			}
		})
	}
	wg.Wait()
	if !m.backfill {
		if s.cfg.App.HookDeliveries {
			s.redeliverOrWarn(ctx, appScope, 0)
		}
		for _, o := range s.cfg.Orgs {
			if o.HookID != 0 {
				s.redeliverOrWarn(ctx, "org:"+o.Name, o.HookID)
			}
		}
	}
	return errors.Join(errs...)
}

func (s *Source) concurrency() int {
	if s.cfg.Concurrency > 0 {
		return s.cfg.Concurrency
	}
	return DefaultConcurrency
}

// pollRepo reads one repository's resources in order: pull requests first,
// so the deploys read after them find their PRs in the index.
func (s *Source) pollRepo(ctx context.Context, t target, m pollMode) error {
	errs := []error{
		s.pollPulls(ctx, t, m),
		s.pollReleases(ctx, t, m),
		s.pollDeployments(ctx, t, m),
	}
	if t.settings.DeployWorkflow != "" {
		errs = append(errs, s.pollRuns(ctx, t, m))
	}
	if t.settings.HookID != 0 && !m.backfill {
		s.redeliverOrWarn(ctx, t.FullName, t.settings.HookID)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: %w", t.FullName, err)
	}
	return nil
}

// publish publishes evs (nothing when empty).
func (s *Source) publish(ctx context.Context, evs []event.Event) error {
	if len(evs) == 0 {
		return nil
	}
	if err := s.pub.Publish(ctx, evs...); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}
