package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/github"
	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/metrics"
	"github.com/goalpost/goalpost/internal/server"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline"
	"github.com/goalpost/goalpost/report"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/people"
)

// app is every component of a running goalpost, built from the configuration
// by build. Fields are nil when their section is not configured.
type app struct {
	cfg      *config.Config
	log      *slog.Logger
	metrics  *metrics.Metrics
	store    *store.Store
	conn     *pipeline.Conn
	pub      *pipeline.Publisher
	engine   *engine.Engine
	consumer *pipeline.Consumer
	pollers  map[string]connector.Poller // by source
	webhooks map[string]http.Handler     // by source, mounted at /webhooks/<source>
	github   *github.Source              // nil without a [github] section (backfill)
	writer   writer
	server   *server.Server
	reports  *report.Scheduler // nil without a [report] section
	wins     *report.Wins      // nil without [report.wins]
}

// buildOptions are the command-line choices that change wiring.
type buildOptions struct {
	dryRun bool // writers print what they would send and send nothing
	out    *cliEnv
}

// compileRules builds the people directory and compiles the key results: the
// part of the configuration that `check` validates beyond Validate.
func compileRules(cfg *config.Config) (*rules.Set, *people.Directory, error) {
	dir, err := people.New(cfg.People, cfg.Teams)
	if err != nil {
		return nil, nil, cfg.LocateKey(err)
	}
	set, err := rules.Compile(cfg.Objectives, rules.WithTeams(cfg.Teams))
	if err != nil {
		return nil, nil, cfg.LocateKey(err)
	}
	return set, dir, nil
}

// build turns the configuration into components. It opens the store and the
// stream (local I/O only); no component talks to an upstream service until
// it runs.
func build(ctx context.Context, cfg *config.Config, log *slog.Logger, opt buildOptions) (_ *app, err error) {
	a := &app{cfg: cfg, log: log, metrics: metrics.New(), pollers: map[string]connector.Poller{}, webhooks: map[string]http.Handler{}}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	set, dir, err := compileRules(cfg)
	if err != nil {
		return nil, usageError{err}
	}
	if a.store, err = store.Open(ctx, cfg.Store.Path, log.With("component", "store")); err != nil {
		return nil, err
	}
	if a.conn, err = pipeline.Connect(cfg.NATS, cfg.DataDir, log.With("component", "nats")); err != nil {
		return nil, err
	}
	js, err := jetstream.New(a.conn.NC)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if err := pipeline.EnsureStreams(ctx, js, cfg.NATS.Streams()); err != nil {
		return nil, err
	}
	a.pub = pipeline.NewPublisher(js, a.metrics)
	if err := a.buildConnectors(); err != nil {
		return nil, usageError{err}
	}
	for name, p := range a.pollers {
		a.metrics.WatchSource(name, func() bool { return p.LastError() != nil })
	}
	a.engine = engine.New(set, dir, a.store,
		engine.WithHealth(engine.SourceHealth(a.lastErrorers())),
		engine.WithLogger(log.With("component", "engine")),
		engine.WithMetrics(a.metrics))
	a.consumer = pipeline.NewConsumer(js, cfg.NATS.Streams(), a.engine, log.With("component", "consumer"), a.metrics)
	sender, err := a.buildWriter(opt)
	if err != nil {
		return nil, usageError{err}
	}
	a.writer, a.consumer.AfterCommit = sender, sender.Notify
	reports, err := newReportBuilder(cfg, a.engine, a.store)
	if err != nil {
		return nil, usageError{err}
	}
	if a.reports, err = a.buildScheduler(reports, dir, opt.out); err != nil {
		return nil, usageError{err}
	}
	a.server = server.New(serverOptions(cfg.Server), a.webhooks, map[string]server.ReadyCheck{
		"nats": a.conn.Ready, "store": a.store.Ping,
	}, a.metrics, log.With("component", "http"))
	a.server.Handle("GET /{$}", dashboard(reports))
	return a, nil
}

func serverOptions(c config.ServerConfig) server.Options {
	return server.Options{Listen: c.Listen, MaxBodyBytes: c.MaxBodyBytes,
		ReadTimeout: c.ReadTimeout.Duration, WriteTimeout: c.WriteTimeout.Duration, ShutdownTimeout: c.ShutdownTimeout.Duration}
}

func (a *app) lastErrorers() map[string]engine.LastErrorer {
	m := map[string]engine.LastErrorer{}
	for name, p := range a.pollers {
		m[name] = p
	}
	return m
}

// close releases what build opened, in reverse order.
func (a *app) close() {
	if a.conn != nil {
		a.conn.Close()
	}
	if a.store != nil {
		_ = a.store.Close()
	}
}

// pollOnce runs one poll of every source, in a stable order, and returns
// every failure (a failing source does not stop the others).
func (a *app) pollOnce(ctx context.Context) error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(a.pollers)) {
		if err := a.pollers[name].PollOnce(ctx); err != nil {
			a.metrics.PollError(name)
			errs = append(errs, fmt.Errorf("poll %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// cycle is one full poll → evaluate → write pass (sync --once, the demo).
func (a *app) cycle(ctx context.Context) (processed int, err error) {
	pollErr := a.pollOnce(ctx)
	if processed, err = a.consumer.Drain(ctx); err != nil {
		return processed, err
	}
	if err := a.engine.Tick(ctx); err != nil {
		return processed, err
	}
	if err := a.writer.Flush(ctx); err != nil {
		return processed, err
	}
	return processed, pollErr
}

// tick re-evaluates every key result at an interval, so time-based status
// (pace, stale) moves without new events.
func (a *app) tick(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := a.engine.Tick(ctx); err != nil {
				a.log.Warn("re-evaluate", "err", err)
			}
			a.writer.Notify()
		}
	}
}
