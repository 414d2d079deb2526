package main

import (
	"context"

	"github.com/goalpost/goalpost/connectors/asana"
	"github.com/goalpost/goalpost/connectors/linear"
	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/report"
	"github.com/goalpost/goalpost/writeback"
)

// writer drains the outbox (writeback.Sender).
type writer interface {
	// Run sends queued writes until ctx ends.
	Run(ctx context.Context) error
	// Flush sends every write due now and returns.
	Flush(ctx context.Context) error
	// Notify wakes Run after a commit that queued writes; it never blocks.
	Notify()
}

// buildWriter wires the sinks of the configured services, and the report
// schedule's destinations when it runs, into the outbox sender. With dry-run the sender prints the writes and sends none.
func (a *app) buildWriter(opt buildOptions) (*writeback.Sender, error) {
	sinks := map[string]writeback.Sink{}
	if a.cfg.Notion != nil {
		s, err := notion.NewSink(a.cfg.Notion, nil, a.log.With("sink", "notion"))
		if err != nil {
			return nil, err
		}
		sinks["notion"] = s
		if a.cfg.Notion.ReadsNotes() {
			a.notes = report.NewNotesReader(a.reports, s, a.store, notePages(a.cfg), a.now, a.log.With("component", "notes"))
		}
	}
	if c := a.cfg.Linear; c != nil {
		// Its own client: its own request budget, apart from the poller's.
		sinks["linear"] = linear.NewSink(linear.NewClient(c.BaseURL, c.APIKey), a.log.With("sink", "linear"))
	}
	if c := a.cfg.Asana; c != nil {
		// Its own client: goal writes do not wait behind a long poll.
		sinks["asana"] = asana.NewSink(asana.NewClient(c.BaseURL, c.Token, c.RequestsPerMinute), a.log.With("sink", "asana"))
	}
	opts := append(a.cfg.Writeback.Options(), writeback.WithMetrics(a.metrics))
	if a.schedule != nil { // the weekly reports go out through the same outbox
		opts = append(opts, writeback.WithReports(a.schedule))
	}
	if opt.dryRun {
		opts = append(opts, writeback.WithDryRun(opt.out.stdout))
	}
	return writeback.New(a.store, sinks, a.log.With("component", "writeback"), opts...), nil
}

// notePages are the key results whose Notion page carries a check-in, where
// owners write their notes (ADR 56).
func notePages(cfg *config.Config) []report.NotePage {
	var out []report.NotePage
	for _, o := range cfg.Objectives {
		for _, kr := range o.KeyResults {
			if kr.NotionPage != "" {
				out = append(out, report.NotePage{KR: kr.Key, Page: kr.NotionPage, Team: o.Team})
			}
		}
	}
	return out
}
