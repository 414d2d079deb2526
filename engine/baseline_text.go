package engine

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

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
	head := []string{"person", "time zone"}
	for _, wk := range g.Weeks {
		head = append(head, wk.String())
	}
	rows := make([][]string, 0, len(g.Rows)+1)
	for _, r := range g.Rows {
		cells := []string{r.Person, r.TimeZone}
		for _, c := range r.Cells {
			cells = append(cells, cellText(c))
		}
		rows = append(rows, cells)
	}
	cov := []string{"coverage", ""}
	for _, c := range g.Coverage {
		cov = append(cov, fmt.Sprintf("%s (%d/%d)", present.Percent(c.Share), c.Met, c.Engineers))
	}
	rows = append(rows, cov)
	for i, cols := range weekBlocks(head, rows) {
		if i > 0 {
			p.f("\n")
		}
		t := present.Table{Header: pick(head, cols), Flex: -1}
		for _, r := range rows {
			t.Add(pick(r, cols)...)
		}
		if p.err == nil {
			p.err = t.Write(w)
		}
	}
	writeFlags(p, g)
	return p.err
}

// weekBlocks splits the week columns (after person and time zone) into
// blocks that each fit present.Width beside the first two columns, so a
// long grid prints as several narrower ones. It returns the column indexes
// of each block.
func weekBlocks(head []string, rows [][]string) [][]int {
	width := func(col int) int {
		n := utf8.RuneCountInString(head[col])
		for _, r := range rows {
			n = max(n, utf8.RuneCountInString(r[col]))
		}
		return n
	}
	fixed := width(0) + 2 + width(1)
	var blocks [][]int
	var cur []int
	used := fixed
	for col := 2; col < len(head); col++ {
		wd := 2 + width(col)
		if len(cur) > 0 && used+wd > present.Width {
			blocks = append(blocks, append([]int{0, 1}, cur...))
			cur, used = nil, fixed
		}
		cur, used = append(cur, col), used+wd
	}
	return append(blocks, append([]int{0, 1}, cur...))
}

func pick(cells []string, cols []int) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = cells[c]
	}
	return out
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
