package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/github"
	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/metrics"
	"github.com/goalpost/goalpost/internal/server"
	"github.com/goalpost/goalpost/internal/server/dashboard"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline"
	"github.com/goalpost/goalpost/report"
	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/people"
)

// scheduled is a source's poller and how often the daemon polls it (the
// source's poll_interval): the daemon runs the poll loop itself, so that
// every poll's outcome is recorded in the store for status.
type scheduled struct {
	connector.Poller
	every time.Duration
}

// app is every component of a running goalpost, built from the configuration
// by build. Fields are nil when their part is off or their section is not
// configured.
type app struct {
	cfg     *config.Config
	replica string // [server] replica_id or the host name
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics.Metrics
	store   *store.Store
	engine  *engine.Engine
	reports *report.Builder

	// online parts
	conn     *pipeline.Conn
	js       jetstream.JetStream
	leases   *pipeline.Leases // singleton work: polls, reports, ticks (ADR 34)
	pub      *pipeline.Publisher
	consumer *pipeline.Consumer
	pollers  map[string]scheduled    // by source
	webhooks map[string]http.Handler // by source, mounted at /webhooks/<source>
	// registrars register webhooks with their service (Asana with
	// webhook_url, Trello with callback_url), by source.
	registrars map[string]webhookRegistrar
	github     *github.Source // nil without a [github] section (backfill)
	writer     writer
	notes      *report.NotesReader // nil without Notion check-ins
	people     *people.Directory
	server     *server.Server    // public: webhooks and health
	admin      *server.Admin     // admin_listen: dashboard, API, metrics
	hub        *dashboard.Hub    // tells open pages that key results changed
	schedule   *report.Scheduler // nil without a [report] section; the writer delivers what it queues
	wins       *report.Wins      // nil without [report.wins]
}

// buildOptions are the parts a command switches on. Every command builds
// the store, the engine and the report builder; the read-only commands
// (status, explain, baseline, report, rebuild, set) nothing more.
type buildOptions struct {
	online   bool // the stream, connectors, writers and HTTP server: run, sync, demo
	schedule bool // the weekly report's schedule and destinations: run, demo
	dryRun   bool // writers print what they would send and send nothing
	out      *cliEnv
}

// daemon switches on every part: run and the demo.
func daemon(env *cliEnv) buildOptions { return buildOptions{online: true, schedule: true, out: env} }

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

// openApp loads the configuration at path and builds the parts opt switches
// on: the start of every command but check and demo. Online, key results
// kept in Notion ([notion.goals]) are read first, before rules compile.
func openApp(ctx context.Context, env *cliEnv, path string, opt buildOptions) (*app, error) {
	if path == "" {
		return nil, usageError{errors.New("no configuration file: pass -c FILE or set GOALPOST_CONFIG")}
	}
	cfg, err := config.LoadLenient(path, env.lookupEnv)
	if err != nil {
		return nil, usageError{err}
	}
	log := newLogger(cfg.LogLevel, env.stderr).With("replica", replicaID(cfg))
	if opt.online {
		// Every service but the report's destinations, which only the schedule talks to.
		if err := cfg.RequireSecrets(true, "report"); err != nil {
			return nil, usageError{err}
		}
		if err := loadNotionGoals(ctx, cfg, log); err != nil {
			return nil, err
		}
	}
	return build(ctx, cfg, log, opt)
}

// loadNotionGoals applies [notion.goals] (see notion.ApplyGoals).
func loadNotionGoals(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	if cfg.Notion == nil || cfg.Notion.Goals.DatabaseID == "" {
		return nil
	}
	c, err := notion.NewClient(cfg.Notion, nil, log.With("component", "notion-goals"))
	if err != nil {
		return err
	}
	goals, err := notion.LoadGoals(ctx, c, cfg.Notion.Goals)
	if err != nil {
		return fmt.Errorf("notion goals: %w", err)
	}
	applied := notion.ApplyGoals(cfg.Objectives, goals)
	log.Info("key results read from notion", "rows", len(goals), "applied", applied)
	return nil
}

// build turns the configuration into the parts opt switches on. It opens the
// store and, online, the stream (local I/O only); no component talks to an
// upstream service until it runs.
func build(ctx context.Context, cfg *config.Config, log *slog.Logger, opt buildOptions) (_ *app, err error) {
	a := &app{cfg: cfg, replica: replicaID(cfg), log: log, now: time.Now,
		pollers: map[string]scheduled{}, webhooks: map[string]http.Handler{},
		registrars: map[string]webhookRegistrar{}}
	a.metrics = metrics.ForReplica(a.replica)
	if opt.out != nil && opt.out.now != nil {
		a.now = opt.out.now
	}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	set, dir, err := compileRules(cfg)
	if err != nil {
		return nil, usageError{err}
	}
	a.people = dir
	if opt.schedule {
		if err := cfg.RequireSecrets(false, "report"); err != nil {
			return nil, usageError{err}
		}
	}
	if err := cfg.RequireSecrets(false, "store"); err != nil {
		return nil, usageError{err}
	}
	if a.store, err = openStore(ctx, cfg.Store, log.With("component", "store")); err != nil {
		return nil, err
	}
	if opt.online {
		if err := a.buildStream(ctx); err != nil {
			return nil, err
		}
	}
	a.engine = engine.New(set, dir, a.store,
		engine.WithClock(a.now),
		engine.WithLogger(log.With("component", "engine")),
		engine.WithMetrics(a.metrics))
	if a.reports, err = newReportBuilder(cfg, a.engine, a.store); err != nil {
		return nil, usageError{err}
	}
	if opt.schedule {
		if a.schedule, err = a.buildScheduler(dir, opt.out); err != nil {
			return nil, usageError{err}
		}
	}
	if opt.online {
		if err := a.buildOnline(opt); err != nil {
			return nil, err
		}
		a.watchMetrics(ctx)
	}
	return a, nil
}

// buildStream connects to the stream and wires the connectors that publish
// to it.
func (a *app) buildStream(ctx context.Context) error {
	var err error
	if a.conn, err = pipeline.Connect(a.cfg.NATS, a.cfg.DataDir, a.log.With("component", "nats")); err != nil {
		return err
	}
	if a.js, err = jetstream.New(a.conn.NC); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	if err := pipeline.EnsureStreams(ctx, a.js, a.cfg.NATS.Streams()); err != nil {
		return err
	}
	ttl := a.cfg.NATS.LeaseTTL.Duration
	kv, err := pipeline.EnsureLeaseBucket(ctx, a.js, ttl, a.cfg.NATS.Replicas)
	if err != nil {
		return err
	}
	a.leases = pipeline.NewLeases(kv, a.replica, ttl, a.log.With("component", "lease"), a.metrics)
	a.pub = pipeline.NewPublisher(a.js, a.metrics)
	if err := a.buildConnectors(); err != nil {
		return usageError{err}
	}
	for name, p := range a.pollers {
		a.metrics.WatchSource(name, func() bool { return p.LastError() != nil })
	}
	return nil
}

// buildOnline wires what runs after the engine: the consumer's handler, the
// writers and the HTTP server with the dashboard.
func (a *app) buildOnline(opt buildOptions) error {
	a.consumer = pipeline.NewConsumer(a.js, a.cfg.NATS.Streams(), a.engine, a.log.With("component", "consumer"), a.metrics)
	sender, err := a.buildWriter(opt)
	if err != nil {
		return usageError{err}
	}
	if a.schedule != nil {
		a.schedule.AfterEnqueue = sender.Notify
	}
	deliveries := server.NewDeliveries(a.now)
	public := serverOptions(a.cfg.Server, a.cfg.Server.Listen)
	public.Deliveries = deliveries
	a.server = server.New(public, a.webhooks, map[string]server.ReadyCheck{
		"nats": a.conn.Ready, "store": a.store.Ping,
		"stream": pipeline.StreamReady(a.js, a.cfg.NATS.Stream),
	}, a.metrics, a.log.With("component", "http"))
	a.admin = server.NewAdmin(serverOptions(a.cfg.Server, a.cfg.Server.AdminListen), adminAuth(a.cfg.Server), a.metrics, a.log.With("component", "admin"))
	dash := a.dashboard(deliveries)
	dash.Mount(a.admin)
	a.hub = dash.Hub()
	a.writer = sender
	a.consumer.AfterCommit = func() {
		sender.Notify()
		a.hub.Notify()
	}
	return nil
}

// watchMetrics creates every counter at 0 and exports the key results'
// stored values as gauges, read at each scrape while ctx lasts.
func (a *app) watchMetrics(ctx context.Context) {
	a.metrics.Init(a.cfg.Sources(), a.cfg.WritebackServices())
	a.metrics.WatchKeyResults(ctx, present.Statuses(), func(ctx context.Context) ([]metrics.KRSample, error) {
		rs, err := a.engine.StoredResults(ctx)
		out := make([]metrics.KRSample, len(rs))
		for i, r := range rs {
			out[i] = metrics.KRSample{Key: r.KRKey, Objective: r.ObjectiveKey, Team: r.Team, Value: r.Current, Progress: r.Progress, Status: r.Status}
		}
		return out, err
	})
}

// dashboard wires the dashboard's pages and API to the engine, the weekly
// reports and the store.
// deliveries is nil for the commands, which receive no webhook.
func (a *app) dashboard(deliveries *server.Deliveries) *dashboard.Dashboard {
	d := dashboard.Deps{
		Results: a.engine, Reports: a.reports, Health: a.store, Events: a.store, Notes: a.store,
		Sources:  a.cfg.Sources(),
		TeamOnly: a.cfg.Dashboard.TeamOnly(),
		TeamOf: func(person string) string {
			p, _ := a.people.Person(person)
			return p.Team
		},
		Now: a.now, Log: a.log.With("component", "dashboard"),
	}
	if deliveries != nil {
		d.Deliveries = deliveries
	}
	return dashboard.New(d)
}

func serverOptions(c config.ServerConfig, listen string) server.Options {
	return server.Options{Listen: listen, MaxBodyBytes: c.MaxBodyBytes,
		ReadTimeout: c.ReadTimeout.Duration, WriteTimeout: c.WriteTimeout.Duration, ShutdownTimeout: c.ShutdownTimeout.Duration}
}

func adminAuth(c config.ServerConfig) server.Auth {
	return server.Auth{Token: c.AdminToken, User: c.AdminUser, Password: c.AdminPassword, TrustedHeader: c.TrustedHeader}
}

// replicaID is the id this replica carries in logs, metrics and leases:
// [server] replica_id, else the host name (a pod's name on Kubernetes).
func replicaID(cfg *config.Config) string {
	if cfg.Server.ReplicaID != "" {
		return cfg.Server.ReplicaID
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "goalpost"
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

// openStore opens the configured store: the SQLite file, or PostgreSQL.
func openStore(ctx context.Context, sc config.StoreConfig, log *slog.Logger) (*store.Store, error) {
	if sc.Driver == config.DriverPostgres {
		return store.OpenPostgres(ctx, sc.DSN.Reveal(), log)
	}
	return store.Open(ctx, sc.Path, log)
}
