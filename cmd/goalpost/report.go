package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/goalpost/goalpost/config"
	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/report"
	"github.com/goalpost/goalpost/store"
)

// newReportBuilder builds weekly reports from the engine's numbers, frozen
// in the store once a week has ended.
func newReportBuilder(cfg *config.Config, eng *engine.Engine, st *store.Store) (*report.Builder, error) {
	src, err := report.NewEngineSource(eng, cfg.Teams)
	if err != nil {
		return nil, err
	}
	return report.NewBuilder(src, st, cfg.Teams, cfg.Report)
}

// buildScheduler wires the weekly check-in's schedule and destinations;
// nil when there is no [report] section.
func (a *app) buildScheduler(env *cliEnv) (*report.Scheduler, error) {
	if a.cfg.Report == nil {
		return nil, nil
	}
	b, err := newReportBuilder(a.cfg, a.engine, a.store)
	if err != nil {
		return nil, err
	}
	deps := report.Deps{Stdout: env.stdout, Log: a.log.With("component", "report")}
	if n := a.cfg.Notion; n != nil {
		deps.NotionToken, deps.NotionBaseURL = n.Token, n.BaseURL
	}
	dests, err := report.NewDestinations(a.cfg.Report, deps)
	if err != nil {
		return nil, err
	}
	return report.NewScheduler(a.cfg.Report, a.cfg.Teams, b.Report, dests, a.store, a.log.With("component", "report"), time.Now)
}

func cmdReport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("report", "", env)
	path := configFlag(fs, env)
	week := fs.String("week", "", "ISO week, e.g. 2026-W47 (default: the current week; a finished week comes from its frozen snapshot)")
	team := fs.String("team", "", "team (required when there are several)")
	format := fs.String("format", "", "md | html | json | slack (default: from --out's extension, else md)")
	out := fs.String("out", "", "write to this file instead of stdout")
	if err := parse(fs, args); err != nil {
		return err
	}
	o, err := openOffline(ctx, env, *path)
	if err != nil {
		return err
	}
	defer o.close()
	b, err := newReportBuilder(o.cfg, o.engine, o.store)
	if err != nil {
		return usageError{err}
	}
	err = report.Write(ctx, b, report.Request{Team: *team, Week: *week, Format: *format, Out: *out, Now: time.Now()}, env.stdout)
	var ue interface{ UsageError() bool }
	if errors.As(err, &ue) {
		return usageError{err}
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
