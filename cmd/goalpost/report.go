package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/server/dashboard"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/report"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

// newReportBuilder builds weekly reports from the engine's numbers, frozen
// in the store once a week has ended.
func newReportBuilder(cfg *config.Config, eng *engine.Engine, st *store.Store) (*report.Builder, error) {
	return report.NewBuilder(report.NewEngineSource(eng), st, cfg.Teams, cfg.Report, report.TeamOnly(cfg.Dashboard.TeamOnly()), report.WithNotes(st))
}

// buildScheduler wires the weekly check-in's schedule and destinations;
// nil when there is no [report] section.
func (a *app) buildScheduler(dir *people.Directory, env *cliEnv) (*report.Scheduler, error) {
	if a.cfg.Report == nil {
		return nil, nil
	}
	deps := report.Deps{Stdout: env.stdout, Notion: a.cfg.Notion, Log: a.log.With("component", "report"),
		Person: func(key string) (string, string, bool) {
			p, ok := dir.Person(key)
			return p.Email, p.Name, ok
		},
		Manager: func(key string) string {
			p, _ := dir.Person(key)
			return p.Manager
		}}
	dests, err := report.NewDestinations(a.cfg.Report, deps)
	if err != nil {
		return nil, err
	}
	if a.wins, err = report.NewWins(a.cfg.Report, report.NewEngineSource(a.engine), deps, a.now); err != nil {
		return nil, err
	}
	return report.NewScheduler(a.cfg.Report, a.cfg.Teams, a.reports.Report, dests, a.store, a.log.With("component", "report"), a.now)
}

func cmdReport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("report", env)
	path := configFlag(fs, env)
	week := fs.String("week", "", "ISO `WEEK`, e.g. 2026-W47 (default: the current week; a finished week comes from its frozen snapshot)")
	quarter := fs.String("quarter", "", "`QUARTER`, e.g. 2026-Q4: final values, grades and OKR scores (frozen once it is over; provisional before); md or json")
	team := fs.String("team", "", "`TEAM` (required when there are several)")
	format := fs.String("format", "", "md, html, json or slack (default: from --out's extension, else md)")
	out := fs.String("out", "", "write to this `FILE` instead of stdout")
	output := outputFlag(fs)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, ""); err != nil {
		return err
	}
	if asJSON, err := jsonRequested(fs, *output, "format", "out", "quarter"); err != nil {
		return err
	} else if asJSON {
		return writeView(ctx, env, *path, func(ctx context.Context, db *dashboard.Dashboard) (*report.Report, error) {
			return db.Report(ctx, dashboard.Query{Team: *team, Week: *week})
		})
	}
	a, err := openReadOnly(ctx, env, *path)
	if err != nil {
		return err
	}
	defer a.close()
	req := report.Request{Team: *team, Week: *week, Quarter: *quarter, Format: *format, Out: *out, Now: a.now()}
	if err := checkReportRequest(a.reports, req); err != nil {
		return usageError{err}
	}
	if err := report.Write(ctx, a.reports, req, env.stdout); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// checkReportRequest rejects a bad --team, --week, --quarter or --format
// before any work, so they exit 2 like other usage errors.
func checkReportRequest(b *report.Builder, req report.Request) error {
	if req.Team != "" {
		if _, err := b.Team(req.Team); err != nil {
			return fmt.Errorf("--team: %w", err)
		}
	}
	if req.Week != "" {
		if _, err := calendar.ParseWeek(req.Week); err != nil {
			return fmt.Errorf("--week: %w", err)
		}
	}
	if req.Quarter != "" {
		return checkQuarterRequest(req)
	}
	switch req.Format {
	case "", "md", "html", "json", "slack":
		return nil
	}
	return fmt.Errorf("--format: want md, html, json or slack, got %q", req.Format)
}

func checkQuarterRequest(req report.Request) error {
	if req.Week != "" {
		return errors.New("--week and --quarter: give one")
	}
	if _, err := calendar.ParseQuarter(req.Quarter); err != nil {
		return fmt.Errorf("--quarter: %w", err)
	}
	if req.Format != "" && !slices.Contains(report.QuarterFormats(), req.Format) {
		return fmt.Errorf("--format: a quarter report is md or json, got %q", req.Format)
	}
	return nil
}
