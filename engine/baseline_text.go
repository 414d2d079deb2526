package engine

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/goalpost/goalpost/report/present"
)

// WriteBaseline prints the baseline grid of everyone for the last weeks
// weeks: shipped count per person and local week, misses (✗), second misses
// in a row (✗✗), silent weeks, team coverage per week and unmapped handles.
func (e *Engine) WriteBaseline(ctx context.Context, weeks int, w io.Writer) error {
	g, err := e.Baseline(ctx, weeks, "")
	if err != nil {
		return err
	}
	return WriteGrid(w, g)
}

// WriteGrid prints a baseline grid as a text table.
func WriteGrid(w io.Writer, g BaselineGrid) error {
	p := &printer{w: w}
	scope := "everyone"
	if g.Team != "" {
		scope = "team " + g.Team
	}
	p.f("Weekly shipping baseline, %s: changes shipped to production per person and local week\n", scope)
	p.f("(✗ missed · ✗✗ second miss in a row · silent: no activity at all · … week in progress ·\n")
	p.f(" – no data: before the history or the person's start · away)\n\n")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	weeks := make([]string, len(g.Weeks))
	for i, wk := range g.Weeks {
		weeks[i] = wk.String()
	}
	fmt.Fprintf(tw, "person\ttime zone\t%s\n", strings.Join(weeks, "\t"))
	for _, r := range g.Rows {
		cells := make([]string, len(r.Cells))
		for i, c := range r.Cells {
			cells[i] = cellText(c)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Person, r.TimeZone, strings.Join(cells, "\t"))
	}
	cov := make([]string, len(g.Coverage))
	for i, c := range g.Coverage {
		cov[i] = fmt.Sprintf("%s (%d/%d)", present.Percent(c.Share), c.Met, c.Engineers)
	}
	fmt.Fprintf(tw, "coverage\t\t%s\n", strings.Join(cov, "\t"))
	if err := tw.Flush(); err != nil {
		return err
	}
	writeFlags(p, g)
	return p.err
}

func cellText(c BaselineCell) string {
	s := fmt.Sprintf("%d", c.Shipped)
	switch {
	case c.NoData:
		return "–"
	case c.Away:
		return "away"
	case c.InProgress:
		s += " …"
	case c.TwoInARow:
		s += " ✗✗"
	case c.Miss:
		s += " ✗"
	}
	if c.Silent {
		s += " silent"
	}
	return s
}

func writeFlags(p *printer, g BaselineGrid) {
	var two, silent []string
	for _, r := range g.Rows {
		if r.TwoInARow {
			two = append(two, r.Person)
		}
		if r.Silent {
			silent = append(silent, r.Person)
		}
	}
	if len(two) > 0 {
		p.f("\ntwo misses in a row (last finished week): %s\n", strings.Join(two, ", "))
	}
	if len(silent) > 0 {
		p.f("silent (no activity at all last finished week): %s\n", strings.Join(silent, ", "))
	}
	if len(g.Unmapped) > 0 {
		p.f("\nunmapped handles (add them to [[people]]):\n")
		for _, u := range g.Unmapped {
			p.f("  %s:%s  %s, last %s\n", u.Source, u.Handle, present.Count(u.Events, "event"), u.LastSeen.Format(time.DateOnly))
		}
	}
}
