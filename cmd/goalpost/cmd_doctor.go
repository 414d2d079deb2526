package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/goalpost/goalpost/connectors/asana"
	"github.com/goalpost/goalpost/connectors/github"
	"github.com/goalpost/goalpost/connectors/gitlab"
	"github.com/goalpost/goalpost/connectors/incidentio"
	"github.com/goalpost/goalpost/connectors/jira"
	"github.com/goalpost/goalpost/connectors/linear"
	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/connectors/pagerduty"
	"github.com/goalpost/goalpost/connectors/slack"
	"github.com/goalpost/goalpost/connectors/trello"
	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/report"
)

// errDoctorFailed makes doctor exit 1 after printing its checklist.
var errDoctorFailed = errors.New("doctor: some checks failed (fixes above)")

// cmdDoctor checks every configured connection with the real credentials,
// read-only, and prints a checklist with the fix for each failure. The
// checks live in the connectors (Doctor); this only gathers and prints.
func cmdDoctor(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("doctor", env)
	path := configFlag(fs, env)
	sendTest := fs.Bool("send-test", false, "post a test message to each Slack destination (the only thing doctor ever sends)")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, ""); err != nil {
		return err
	}
	if *path == "" {
		return usageError{fmt.Errorf("no configuration file: pass -c FILE or set GOALPOST_CONFIG")}
	}
	cfg, err := config.Load(*path, env.lookupEnv)
	if err != nil {
		return usageError{err}
	}
	// One retry at most: a check reports what it sees now, and a service
	// that is down should not take the daemon's backoff per check.
	ctx = transport.WithAttempts(ctx, 2)
	if !printChecks(env.stdout, doctorChecks(ctx, cfg, env.clock(), *sendTest)) {
		return errDoctorFailed
	}
	return nil
}

// doctorChecks runs each configured connector's Doctor.
func doctorChecks(ctx context.Context, cfg *config.Config, now time.Time, sendTest bool) []confval.Check {
	var out []confval.Check
	var pages, projects, initiatives, goals []string
	for _, o := range cfg.Objectives {
		for _, kr := range o.KeyResults {
			pages = appendSet(pages, kr.NotionPage)
			projects = appendSet(projects, kr.LinearProject)
			initiatives = appendSet(initiatives, kr.LinearInitiative)
			goals = appendSet(goals, kr.AsanaGoal)
		}
	}
	if c := cfg.GitHub; c != nil {
		out = append(out, github.Doctor(ctx, c, nil)...)
	}
	if c := cfg.GitLab; c != nil {
		out = append(out, gitlab.Doctor(ctx, c)...)
	}
	if c := cfg.Jira; c != nil {
		out = append(out, jira.Doctor(ctx, c)...)
	}
	if c := cfg.Linear; c != nil {
		out = append(out, linear.Doctor(ctx, c, projects, initiatives)...)
	}
	if c := cfg.Asana; c != nil {
		out = append(out, asana.Doctor(ctx, c, goals)...)
	}
	if c := cfg.Trello; c != nil {
		out = append(out, trello.Doctor(ctx, c)...)
	}
	if c := cfg.PagerDuty; c != nil {
		out = append(out, pagerduty.Doctor(ctx, c, now)...)
	}
	if c := cfg.IncidentIO; c != nil {
		out = append(out, incidentio.Doctor(ctx, c, nil)...)
	}
	if c := cfg.Notion; c != nil {
		out = append(out, notion.Doctor(ctx, c, nil, pages)...)
	}
	if r := cfg.Report; r != nil {
		for _, d := range r.Destinations {
			switch d.Type {
			case report.DestSlack:
				out = append(out, slack.Doctor(ctx, d.Name, d.WebhookURL, slack.NewWebhook(d.WebhookURL, nil), sendTest))
			case report.DestSlackApp:
				out = append(out, slack.AppDoctor(ctx, d.Name, slack.NewAPI(d.Token, d.BaseURL, nil), d.Channel)...)
			}
		}
	}
	return out
}

func appendSet(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// printChecks prints one line per check (and the fix under a failure); it
// reports whether every check passed.
func printChecks(w io.Writer, checks []confval.Check) bool {
	ok := true
	for _, c := range checks {
		mark, detail := "ok  ", ""
		if !c.OK {
			mark, ok = "FAIL", false
		}
		if c.Detail != "" {
			detail = " — " + c.Detail
		}
		fmt.Fprintf(w, "%s %s%s\n", mark, c.Name, detail)
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(w, "     fix: %s\n", c.Fix)
		}
	}
	if len(checks) == 0 {
		fmt.Fprintln(w, "nothing to check: no connection is configured")
	}
	return ok
}
