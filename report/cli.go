package report

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/rules/calendar"
)

// Request is one `goalpost report` invocation.
type Request struct {
	Team string // "" is the only team; required when there are several
	Week string // "2026-W47"; "" is the team's current week
	// Quarter is "2026-Q4": the quarter report (grades and scores) instead
	// of a weekly one; formats md and json only.
	Quarter string
	Format  string // md | html | json | slack; "" is from Out's extension, else md
	Out     string // file to write; "" is stdout
	Now     time.Time
}

// Write runs `goalpost report`: it resolves the team, week and format,
// gets the report from b (frozen for a finished week), and writes it to
// req.Out (replaced atomically) or to stdout.
func Write(ctx context.Context, b *Builder, req Request, stdout io.Writer) error {
	team, err := pickTeam(b, req.Team)
	if err != nil {
		return err
	}
	if req.Quarter != "" {
		return writeQuarter(ctx, b, team, req, stdout)
	}
	week, err := b.WeekOf(team, req.Now)
	if err != nil {
		return err
	}
	if req.Week != "" {
		if week, err = calendar.ParseWeek(req.Week); err != nil {
			return err
		}
	}
	dc := DestinationConfig{Format: req.Format, Path: req.Out}
	format, err := dc.format()
	if err != nil {
		return fmt.Errorf("format: %w", err)
	}
	r, err := b.Report(ctx, team, week, req.Now)
	if err != nil {
		return fmt.Errorf("report %s: %w", week, err)
	}
	if req.Out == "" {
		return Render(r, format, stdout)
	}
	f := &File{Path: req.Out, Format: format}
	return f.Deliver(ctx, r, Progress{}, func(context.Context, Progress) error { return nil })
}

func pickTeam(b *Builder, team string) (string, error) {
	if team != "" {
		_, err := b.Team(team)
		return team, err
	}
	names := b.Teams()
	if len(names) == 1 {
		return names[0], nil
	}
	return "", fmt.Errorf("%d teams: pick one with --team (%s)", len(names), strings.Join(names, ", "))
}

// writeQuarter is Write for --quarter.
func writeQuarter(ctx context.Context, b *Builder, team string, req Request, stdout io.Writer) error {
	q, err := calendar.ParseQuarter(req.Quarter)
	if err != nil {
		return err
	}
	format := cmp.Or(req.Format, FormatMarkdown)
	if req.Format == "" && strings.EqualFold(filepath.Ext(req.Out), ".json") {
		format = FormatJSON
	}
	if !slices.Contains(QuarterFormats(), format) {
		return fmt.Errorf("format: a quarter report is %s, not %q", strings.Join(QuarterFormats(), " or "), format)
	}
	r, err := b.Quarter(ctx, team, q, req.Now)
	if err != nil {
		return fmt.Errorf("quarter %s: %w", q, err)
	}
	if req.Out == "" {
		return RenderQuarter(r, format, stdout)
	}
	return writeAtomic(req.Out, func(w io.Writer) error { return RenderQuarter(r, format, w) })
}
