package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

// Snapshots keeps frozen reports; *store.Store implements it.
type Snapshots interface {
	// ReportSnapshot returns the frozen report JSON, or an error wrapping
	// store.ErrNotFound when there is none.
	ReportSnapshot(ctx context.Context, team, week string) ([]byte, error)
	// FreezeReport stores body unless a report is already frozen for team
	// and week, and returns the stored one (the first one wins). Idempotent.
	FreezeReport(ctx context.Context, team, week string, body []byte, now time.Time) ([]byte, error)
	// QuarterSnapshot and FreezeQuarter are the same for quarter reports
	// (key "2026-Q4").
	QuarterSnapshot(ctx context.Context, team, quarter string) ([]byte, error)
	FreezeQuarter(ctx context.Context, team, quarter string, body []byte, now time.Time) ([]byte, error)
}

// Builder gives the report for a team and week, from the frozen snapshot
// when there is one. It is safe for concurrent use.
type Builder struct {
	src       Source
	snaps     Snapshots
	teams     map[string]people.Team
	names     []string
	gridWeeks int
	teamOnly  bool
	notes     Notes
}

// Notes gives the owners' notes of a week (*store.Store): the latest note
// of each key result set at or before asOf. It blocks on the store.
type Notes interface {
	Notes(ctx context.Context, week string, asOf time.Time) (map[string]store.Note, error)
}

// WithNotes puts each key result's note for the week in the reports, and
// in their narrative when the owners wrote none.
func WithNotes(n Notes) BuilderOption { return func(b *Builder) { b.notes = n } }

// BuilderOption changes how a Builder presents its reports.
type BuilderOption func(*Builder)

// TeamOnly hides per-person rows in every report the Builder gives
// ([dashboard] people = "team-only"). Frozen snapshots keep them, so the
// setting can be changed back.
func TeamOnly(on bool) BuilderOption { return func(b *Builder) { b.teamOnly = on } }

// NewBuilder returns a Builder over src and snaps for teams (none: one
// implicit team "" in UTC that gets every key result). cfg may be nil. It
// checks the teams' time zones and week starts; it does no I/O.
func NewBuilder(src Source, snaps Snapshots, teams []people.Team, cfg *Config, opts ...BuilderOption) (*Builder, error) {
	if len(teams) == 0 {
		teams = []people.Team{{}}
	}
	b := &Builder{src: src, snaps: snaps, teams: map[string]people.Team{}, gridWeeks: withDefaults(cfg).GridWeeks}
	for _, o := range opts {
		o(b)
	}
	for _, t := range teams {
		if _, err := calendar.Parse(t.TimeZone, t.WeekStart); err != nil {
			return nil, fmt.Errorf("team %q: %w", t.Name, err)
		}
		if _, dup := b.teams[t.Name]; dup {
			return nil, fmt.Errorf("team %q listed twice", t.Name)
		}
		b.teams[t.Name] = t
		b.names = append(b.names, t.Name)
	}
	slices.Sort(b.names)
	return b, nil
}

// Teams returns the team names, sorted.
func (b *Builder) Teams() []string { return slices.Clone(b.names) }

// Team returns the named team, or an error naming the known teams.
func (b *Builder) Team(name string) (people.Team, error) {
	t, ok := b.teams[name]
	if !ok {
		return people.Team{}, fmt.Errorf("unknown team %q (teams: %s)", name, strings.Join(b.names, ", "))
	}
	return t, nil
}

// WeekOf returns the week containing t in team's calendar: the default
// --week for `goalpost report` is WeekOf(team, now).
func (b *Builder) WeekOf(team string, t time.Time) (calendar.Week, error) {
	tm, err := b.Team(team)
	if err != nil {
		return calendar.Week{}, err
	}
	cal, _ := calendar.Parse(tm.TimeZone, tm.WeekStart) // checked in NewBuilder
	return cal.WeekOf(t), nil
}

// Report returns team's report for week as of now. A week with a frozen
// snapshot gets the snapshot. Otherwise the report is drafted from the
// source; if the week has ended it is frozen first, so every later call
// (and the scheduler's delivery) returns exactly this report. A week in
// progress is drafted afresh every time. A team-only Builder hides the
// people of whichever it returns.
func (b *Builder) Report(ctx context.Context, team string, week calendar.Week, now time.Time) (*Report, error) {
	r, err := b.report(ctx, team, week, now)
	if err == nil && b.teamOnly {
		r.HidePeople()
	}
	return r, err
}

func (b *Builder) report(ctx context.Context, team string, week calendar.Week, now time.Time) (*Report, error) {
	tm, err := b.Team(team)
	if err != nil {
		return nil, err
	}
	body, err := b.snaps.ReportSnapshot(ctx, team, week.String())
	switch {
	case err == nil:
		return Decode(body)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	r, err := Build(ctx, b.src, tm, week, now, b.gridWeeks)
	if err != nil {
		return nil, err
	}
	if err := b.addNotes(ctx, r, now); err != nil {
		return nil, err
	}
	if !r.Final {
		return r, nil
	}
	var buf bytes.Buffer
	if err := writeJSON(&buf, r); err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	stored, err := b.snaps.FreezeReport(ctx, team, week.String(), buf.Bytes(), now)
	if err != nil {
		return nil, err
	}
	return Decode(stored)
}

// Quarter returns team's report for quarter q as of now: the frozen one
// when there is one; else drafted from the source, and frozen first when
// the quarter is over, so every later call returns exactly it. A quarter
// in progress is provisional and drafted afresh every time.
func (b *Builder) Quarter(ctx context.Context, team string, q calendar.Quarter, now time.Time) (*QuarterReport, error) {
	tm, err := b.Team(team)
	if err != nil {
		return nil, err
	}
	body, err := b.snaps.QuarterSnapshot(ctx, team, q.String())
	switch {
	case err == nil:
		return DecodeQuarter(body)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	r, err := BuildQuarter(ctx, b.src, tm, q, now)
	if err != nil || !r.Final {
		return r, err
	}
	var buf bytes.Buffer
	if err := writeJSON(&buf, r); err != nil {
		return nil, fmt.Errorf("encode quarter report: %w", err)
	}
	stored, err := b.snaps.FreezeQuarter(ctx, team, q.String(), buf.Bytes(), now)
	if err != nil {
		return nil, err
	}
	return DecodeQuarter(stored)
}

// addNotes sets each key result's note for r's week, as known at the end
// of the week (or now, while it lasts).
func (b *Builder) addNotes(ctx context.Context, r *Report, now time.Time) error {
	if b.notes == nil {
		return nil
	}
	asOf := now
	if r.End.Before(now) {
		asOf = r.End.Add(-time.Millisecond)
	}
	notes, err := b.notes.Notes(ctx, r.Week.String(), asOf)
	if err != nil {
		return err
	}
	for i := range r.Objectives {
		for j := range r.Objectives[i].KRs {
			k := &r.Objectives[i].KRs[j]
			k.Note = notes[k.Key].Body
		}
	}
	return nil
}
