package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/goalpost/goalpost/internal/config"
)

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func cmdRun(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("run", env)
	path := configFlag(fs, env)
	dryRun := fs.Bool("dry-run", false, "print the writes that would be made; make none")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, ""); err != nil {
		return err
	}
	opt := daemon(env)
	opt.dryRun = *dryRun
	a, err := openApp(ctx, env, *path, opt)
	if err != nil {
		return err
	}
	defer a.close()
	if changed, err := a.engine.ChangedRules(ctx); err == nil && len(changed) > 0 {
		a.log.Warn("these key results' rules changed since their values were computed; run 'goalpost rebuild' to recompute history",
			"key_results", changed)
	}
	return a.run(ctx, nil)
}

// run runs every long-running part until ctx ends or one of them fails, then
// stops them all and waits for them. extra parts (the demo's simulator) run
// in the same group. Every replica receives webhooks, consumes and writes
// back; polls, ticks and reports run on one replica at a time, whichever
// holds their lease (ADR 34).
func (a *app) run(ctx context.Context, extra map[string]func(context.Context) error) error {
	g, gctx := errgroup.WithContext(ctx)
	parts := map[string]func(context.Context) error{
		"http":     a.server.Run,
		"admin":    a.admin.Run,
		"live":     a.hub.Run,
		"consumer": a.consumer.Run,
		"writer":   a.writer.Run,
		"tick": a.leased("tick", func(ctx context.Context) error {
			return a.tick(ctx, a.cfg.Engine.TickInterval.Duration)
		}),
	}
	for name := range a.pollers {
		parts["poll "+name] = a.leased("poll."+name, func(ctx context.Context) error { return a.pollEvery(ctx, name) })
	}
	if a.schedule != nil {
		parts["report"] = a.leased("report", a.schedule.Run)
	}
	if a.wins != nil {
		parts["wins"] = a.leased("wins", a.wins.Run)
	}
	if len(a.registrars) > 0 {
		parts["webhook registration"] = a.leased("webhooks", a.registerWebhooks)
	}
	maps.Copy(parts, extra)
	for name, run := range parts {
		g.Go(func() error {
			if err := run(gctx); err != nil && gctx.Err() == nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
	}
	if addr, err := a.server.Addr(gctx); err == nil {
		admin, _ := a.admin.Addr(gctx)
		a.log.Info("goalpost running", "listen", addr, "admin", admin, "webhooks", slices.Sorted(maps.Keys(a.webhooks)), "pollers", slices.Sorted(maps.Keys(a.pollers)))
	}
	err := g.Wait()
	a.log.Info("goalpost stopped")
	return err
}

// leased runs fn whenever this replica holds the lease name.
func (a *app) leased(name string, fn func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error { return a.leases.Hold(ctx, name, fn) }
}

func cmdSync(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("sync", env)
	path := configFlag(fs, env)
	once := fs.Bool("once", false, "run one poll → evaluate → write cycle and exit")
	dryRun := fs.Bool("dry-run", false, "print the writes that would be made; make none")
	since := fs.String("since", "", "backfill history from this `DATE` (YYYY-MM-DD) before the cycle")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, ""); err != nil {
		return err
	}
	if !*once && *since == "" {
		return usageError{fmt.Errorf("sync needs --once (one cycle) or --since DATE (backfill, then one cycle); use 'goalpost run' for the daemon")}
	}
	var from time.Time
	if *since != "" {
		t, err := time.Parse("2006-01-02", *since)
		if err != nil {
			return usageError{fmt.Errorf("--since: want YYYY-MM-DD, got %q", *since)}
		}
		from = t
	}
	a, err := openApp(ctx, env, *path, buildOptions{online: true, dryRun: *dryRun, out: env})
	if err != nil {
		return err
	}
	defer a.close()
	if !from.IsZero() {
		if err := a.backfill(ctx, from, env); err != nil {
			return err
		}
	}
	// A failing source does not hide the others' results: they are printed
	// (its key results show as stale) and the failure is the exit status.
	n, err := a.cycle(ctx, env.stdout)
	if perr := a.printResults(ctx, env.stdout, n); perr != nil {
		err = errors.Join(err, perr)
	}
	return err
}

func sections(cfg *config.Config) string {
	var on []string
	for _, x := range []struct {
		name string
		on   bool
	}{{"github", cfg.GitHub != nil}, {"gitlab", cfg.GitLab != nil}, {"pagerduty", cfg.PagerDuty != nil}, {"incidentio", cfg.IncidentIO != nil}, {"deploy", cfg.Deploy != nil}, {"jira", cfg.Jira != nil}, {"linear", cfg.Linear != nil}, {"asana", cfg.Asana != nil}, {"trello", cfg.Trello != nil}, {"notion", cfg.Notion != nil}} {
		if x.on {
			on = append(on, x.name)
		}
	}
	if len(on) == 0 {
		return "no connectors"
	}
	return "connectors: " + strings.Join(on, ", ")
}
