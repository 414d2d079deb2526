package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/internal/config"
)

// loadNotionGoals applies [notion.goals]: titles, owners, targets and
// baselines edited in a Notion database override the configuration's, row by
// row (tied by the Key property), and a row's page becomes the key result's
// writeback page unless notion_page is set. Match rules stay in the
// configuration. Called once at start by run and sync, before rules compile.
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
	applied := 0
	for i := range cfg.Objectives {
		for j := range cfg.Objectives[i].KeyResults {
			kr := &cfg.Objectives[i].KeyResults[j]
			g, ok := goals[kr.Key]
			if !ok {
				continue
			}
			applied++
			if g.Title != "" {
				kr.Title = g.Title
			}
			if g.Owner != "" {
				kr.Owner = g.Owner
			}
			if g.Target != nil {
				kr.Target = *g.Target
			}
			if g.Baseline != nil {
				kr.Baseline = *g.Baseline
			}
			if kr.NotionPage == "" {
				kr.NotionPage = g.PageID
			}
		}
	}
	log.Info("key results read from notion", "rows", len(goals), "applied", applied)
	return nil
}
