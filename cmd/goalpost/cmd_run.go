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
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/goalpost/goalpost/connectors/connector"
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
	return a.run(ctx, map[string]func(context.Context) error{"rule versions": a.warnChangedRules})
}

// warnChangedRules warns about key results whose rules changed since their
// values were computed. It runs beside the daemon's work, not before it:
// it reads every key result's state, which /readyz does not wait for.
func (a *app) warnChangedRules(ctx context.Context) error {
	if changed, err := a.engine.ChangedRules(ctx); err == nil && len(changed) > 0 {
		a.log.Warn("these key results' rules changed since their values were computed; run 'goalpost rebuild' to recompute history",
			"key_results", changed)
	}
	return nil
}

// run runs every long-running part until ctx ends or one of them fails.
// Every replica receives webhooks, consumes and writes back; polls, ticks
// and reports run on one replica at a time, whichever holds their lease
// (ADR 34). extra parts (the demo's simulator) run with the work.
//
// Stopping drains: /readyz says "draining" at once, the work stops (no
// more fetching, the batch in hand committed, leases released), and the
// listeners keep serving until then and for [server] drain_delay after
// the stop began, so a load balancer sees the replica go not-ready
// before its listener closes (ADR 52).
func (a *app) run(ctx context.Context, extra map[string]func(context.Context) error) error {
	ctx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()
	var serve errgroup.Group
	var serveFailed atomic.Bool
	for name, run := range map[string]func(context.Context) error{"http": a.server.Run, "admin": a.admin.Run, "live": a.hub.Run} {
		serve.Go(func() error {
			if err := run(serveCtx); err != nil && serveCtx.Err() == nil {
				err = fmt.Errorf("%s: %w", name, err)
				serveFailed.Store(true)
				fail(err)
				return err
			}
			return nil
		})
	}
	// The work starts once the public listener is up (or failed): its first
	// poll and evaluation would otherwise take the CPU that /readyz's first
	// answer waits for (ADR 58).
	_, _ = a.server.Addr(ctx)
	work, wctx := errgroup.WithContext(ctx)
	for name, run := range a.work(extra) {
		work.Go(func() error {
			if err := run(wctx); err != nil && wctx.Err() == nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
	}
	if addr, err := a.server.Addr(wctx); err == nil {
		admin, _ := a.admin.Addr(wctx)
		a.log.Info("goalpost running", "listen", addr, "admin", admin, "webhooks", slices.Sorted(maps.Keys(a.webhooks)), "pollers", slices.Sorted(maps.Keys(a.pollers)))
	}
	<-wctx.Done()
	until := time.Now().Add(a.cfg.Server.DrainDelay.Duration)
	stopping := ctx.Err() != nil && !serveFailed.Load() // asked to stop, not failing
	reason := "a part failed"
	if stopping {
		reason = context.Cause(ctx).Error()
	}
	a.server.Drain(reason + "; finishing in-flight work and releasing leases")
	a.log.Info("draining", "reason", reason)
	err := work.Wait()
	if wait := time.Until(until); stopping && err == nil && wait > 0 {
		a.server.Drain(reason + "; work stopped, still taking webhooks for " + wait.Round(time.Second).String())
		time.Sleep(wait)
	}
	stopServing()
	err = errors.Join(err, serve.Wait())
	a.log.Info("goalpost stopped")
	return err
}

// work is every part but the listeners: consumer, writer, and the leased
// singletons (ticks, polls, reports, wins), with extra.
func (a *app) work(extra map[string]func(context.Context) error) map[string]func(context.Context) error {
	parts := map[string]func(context.Context) error{
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
	if a.notes != nil {
		parts["notes"] = a.leased("notes", func(ctx context.Context) error {
			return connector.Run(ctx, "notion notes", a.cfg.Notion.NotesEvery(), a.readNotes, a.log)
		})
	}
	if len(a.registrars) > 0 {
		parts["webhook registration"] = a.leased("webhooks", a.registerWebhooks)
	}
	maps.Copy(parts, extra)
	return parts
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
