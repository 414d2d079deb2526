package notion

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/goalpost/goalpost/rules"
)

// Goal is one key result kept as a row of a Notion database. People edit
// its title, owner, target and baseline in Notion; the match rule stays in
// the config, tied to the row by Key. Nil numbers and empty strings mean
// the row leaves that field to the config.
type Goal struct {
	Key      string
	PageID   string // the row's page: the key result's writeback target
	URL      string
	Title    string
	Owner    string // the first person's email (or name), or the property's text
	Target   *float64
	Baseline *float64
}

// LoadGoals reads every row of the goals database (following pagination):
// database_id may name the database (every one of its data sources is
// read, so rows in a second source added in Notion count too) or one data
// source (only its rows), and returns the goals by Key. Rows without a Key, and trashed rows, are
// skipped. Two rows with the same Key, a missing Key property or a
// non-numeric Target / Baseline property are errors that name the row, so
// nothing is half-applied; a key on rows of two sources is a duplicate too.
// It blocks for one query per 100 rows of each source, within the client's
// rate limit.
func LoadGoals(ctx context.Context, c *Client, g GoalsConfig) (map[string]Goal, error) {
	db, err := ParseID(g.DatabaseID)
	if err != nil {
		return nil, fmt.Errorf("notion goals: database_id: %w", err)
	}
	names := goalNames(g)
	srcs, err := c.resolveDataSources(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("notion goals: database %s: %w", db, err)
	}
	out := map[string]Goal{}
	var problems []string
	row := func(p *page) error {
		if p.trashed() {
			return nil
		}
		goal, ok, err := rowGoal(p, names)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("row %s: %v", p.ID, err))
		case !ok:
			c.log.Debug("goals row without a key skipped", "page", p.ID)
		case out[goal.Key].PageID != "":
			problems = append(problems, fmt.Sprintf("key %q is on two rows (%s and %s)", goal.Key, out[goal.Key].PageID, goal.PageID))
		default:
			out[goal.Key] = goal
		}
		return nil
	}
	for _, src := range srcs {
		if err := c.queryDataSource(ctx, src.ID, nil, row); err != nil {
			return nil, fmt.Errorf("notion goals: query data source %s of %s: %w", src.ID, db, err)
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("notion goals: database %s: %w", db, errors.New(strings.Join(problems, "; ")))
	}
	return out, nil
}

type goalProps struct{ key, title, owner, target, baseline string }

func goalNames(g GoalsConfig) goalProps {
	return goalProps{
		key: or(g.KeyProperty, "Key"), title: g.TitleProperty, owner: or(g.OwnerProperty, "Owner"),
		target: or(g.TargetProperty, "Target"), baseline: or(g.BaselineProperty, "Baseline"),
	}
}

// rowGoal reads one row; ok is false when its Key is empty.
func rowGoal(p *page, n goalProps) (Goal, bool, error) {
	keyProp, ok := p.Properties[n.key]
	if !ok {
		return Goal{}, false, fmt.Errorf("no %q property (set [notion.goals] key_property)", n.key)
	}
	g := Goal{Key: keyProp.text(), PageID: p.ID, URL: p.URL}
	if g.Key == "" {
		return Goal{}, false, nil
	}
	for name, prop := range p.Properties {
		if (n.title == "" && prop.Type == "title") || name == n.title {
			g.Title = prop.text()
		}
	}
	if prop, ok := p.Properties[n.owner]; ok {
		g.Owner = prop.owner()
	}
	var err error
	if g.Target, err = optNumber(p, n.target); err != nil {
		return Goal{}, false, err
	}
	if g.Baseline, err = optNumber(p, n.baseline); err != nil {
		return Goal{}, false, err
	}
	return g, true, nil
}

// optNumber reads an optional numeric property: absent or empty is nil.
func optNumber(p *page, name string) (*float64, error) {
	prop, ok := p.Properties[name]
	if !ok {
		return nil, nil
	}
	if v, ok := prop.number(); ok {
		return &v, nil
	}
	if prop.Type != "number" && prop.Type != "formula" {
		return nil, fmt.Errorf("property %q is a %s, want number", name, prop.Type)
	}
	return nil, nil
}

// ApplyGoals overrides the key results of objs with the goals edited in
// Notion, row by row (tied by Key): a row's title, owner, target and
// baseline replace the configuration's, and its page becomes the key
// result's writeback page unless notion_page is set. Match rules stay the
// configuration's. It returns how many key results a row applied to.
func ApplyGoals(objs []rules.Objective, goals map[string]Goal) int {
	applied := 0
	for i := range objs {
		for j := range objs[i].KeyResults {
			kr := &objs[i].KeyResults[j]
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
	return applied
}
