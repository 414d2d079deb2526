package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/internal/server/dashboard"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/writeback"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// The read-only commands (and set, which writes only to the store) build
// the store, the engine and the report builder: no stream, no connector,
// no secret.

// openReadOnly parses nothing more than the flags it is given and builds
// the read-only parts.
func openReadOnly(ctx context.Context, env *cliEnv, path string) (*app, error) {
	return openApp(ctx, env, path, buildOptions{out: env})
}

// inputError makes the engine's errors about what was asked (an unknown key
// result or item) usage errors: exit 2.
func inputError(err error) error {
	var ie *engine.InputError
	if errors.As(err, &ie) {
		return usageError{err}
	}
	return err
}

func cmdExplain(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("explain", env)
	path := configFlag(fs, env)
	item := fs.String("item", "", "an item's `URL` (or unit, such as AUTH-123): say why it did or did not count")
	out := outputFlag(fs)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, "KR"); err != nil {
		return err
	}
	if asJSON, err := jsonRequested(fs, *out, "item"); err != nil {
		return err
	} else if asJSON {
		return writeView(ctx, env, *path, func(ctx context.Context, db *dashboard.Dashboard) (*dashboard.KRDetail, error) {
			return db.KR(ctx, fs.Arg(0), dashboard.Query{})
		})
	}
	a, err := openReadOnly(ctx, env, *path)
	if err != nil {
		return err
	}
	defer a.close()
	return inputError(a.engine.Explain(ctx, fs.Arg(0), *item, env.stdout))
}

func cmdRebuild(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("rebuild", env)
	path := configFlag(fs, env)
	check := fs.Bool("check", false, "change nothing: compare each key result's incremental state with a computation from scratch")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, ""); err != nil {
		return err
	}
	a, err := openReadOnly(ctx, env, *path)
	if err != nil {
		return err
	}
	defer a.close()
	if *check {
		return a.engine.WriteCheck(ctx, env.stdout)
	}
	return a.engine.Rebuild(ctx, env.stdout)
}

func cmdStatus(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("status", env)
	path := configFlag(fs, env)
	retry := fs.String("retry-parked", "", "requeue parked writes: all, a service (notion, linear) or one target (notion:page:ID)")
	out := outputFlag(fs)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, ""); err != nil {
		return err
	}
	if asJSON, err := jsonRequested(fs, *out, "retry-parked"); err != nil {
		return err
	} else if asJSON {
		return writeView(ctx, env, *path, func(ctx context.Context, db *dashboard.Dashboard) (*dashboard.Status, error) {
			return db.Status(ctx, dashboard.Query{})
		})
	}
	a, err := openReadOnly(ctx, env, *path)
	if err != nil {
		return err
	}
	defer a.close()
	if *retry != "" {
		if err := a.retryParked(ctx, *retry, env.stdout); err != nil {
			return err
		}
	}
	return a.writeStatus(ctx, env.stdout)
}

// retryParked requeues the parked writes --retry-parked names. A service
// that neither is configured nor has writes is a usage error listing those
// that are.
func (a *app) retryParked(ctx context.Context, arg string, w io.Writer) error {
	sel, err := outbox.ParseSelector(arg)
	if err != nil {
		return usageError{fmt.Errorf("--retry-parked: %w", err)}
	}
	counts, err := a.store.WriteCounts(ctx)
	if err != nil {
		return err
	}
	services := a.cfg.WritebackServices()
	for s := range counts {
		if !slices.Contains(services, s) {
			services = append(services, s)
		}
	}
	if sel.Service != "" && !slices.Contains(services, sel.Service) {
		return usageError{fmt.Errorf("--retry-parked: no writes go to %q; choose one of: %s, or one target (service:kind:id)",
			sel.Service, strings.Join(append([]string{"all"}, services...), ", "))}
	}
	n, err := a.store.RetryParked(ctx, sel)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s queued again; a running daemon sends them now\n\n", present.Count(n, "parked write"))
	return nil
}

// writeStatus prints the key results as last evaluated, the sources'
// health and the outbox.
func (a *app) writeStatus(ctx context.Context, w io.Writer) error {
	results, err := a.engine.LastResults(ctx)
	if err != nil {
		return err
	}
	at, err := a.store.LastEvaluated(ctx)
	if err != nil {
		return err
	}
	now := a.now()
	if at.IsZero() {
		fmt.Fprintln(w, "Key results (never evaluated by run or sync: evaluated now from the stored events):")
	} else {
		fmt.Fprintf(w, "Key results, as last evaluated %s (a source failing then shows as stale):\n", when(at, now))
	}
	if err := writeResultTable(results, w); err != nil {
		return err
	}
	if err := a.writeSources(ctx, w, now); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return writeback.WriteStatus(ctx, a.store, now, w)
}

// writeSources prints each configured source's last successful poll and
// last error, as run and sync recorded them.
func (a *app) writeSources(ctx context.Context, w io.Writer, now time.Time) error {
	health, err := a.store.SourceHealth(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nSources:")
	names := a.cfg.Sources()
	if len(names) == 0 {
		fmt.Fprintln(w, "  none configured")
		return nil
	}
	t := present.Table{Header: []string{"SOURCE", "LAST SUCCESS", "LAST ERROR"}, Flex: 2}
	for _, name := range names {
		ok, failed := "never", "-"
		for _, h := range health {
			if h.Source != name {
				continue
			}
			if !h.LastOK.IsZero() {
				ok = when(h.LastOK, now)
			}
			if !h.LastErrorAt.IsZero() {
				failed = when(h.LastErrorAt, now) + ": " + h.LastError
			}
		}
		t.Add(name, ok, failed)
	}
	return t.Write(w)
}

// when is "2026-11-20 14:05 UTC (3m ago)".
func when(t, now time.Time) string {
	ago := now.Sub(t).Round(time.Second)
	s := t.UTC().Format("2006-01-02 15:04 MST")
	switch {
	case ago < 0:
		return s
	case ago < time.Minute:
		return s + " (just now)"
	case ago < 48*time.Hour:
		return s + " (" + strings.TrimSuffix(strings.TrimSuffix(ago.Truncate(time.Minute).String(), "0s"), "h0m") + " ago)"
	}
	return s + " (" + present.Count(int(ago.Hours()/24), "day") + " ago)"
}

// printResults prints where each key result stands after a cycle.
func (a *app) printResults(ctx context.Context, w io.Writer, processed int) error {
	fmt.Fprintf(w, "\nprocessed %s\n\n", present.Count(processed, "new event"))
	return writeResults(ctx, a.engine, w)
}

func writeResults(ctx context.Context, eng *engine.Engine, w io.Writer) error {
	results, err := eng.Results(ctx)
	if err != nil {
		return err
	}
	return writeResultTable(results, w)
}

func writeResultTable(results []rules.Result, w io.Writer) error {
	t := present.Table{Header: []string{"KEY RESULT", "TITLE", "CURRENT / TARGET", "PROGRESS", "STATUS", "EVIDENCE"}, Flex: 1}
	for _, r := range results {
		t.Add(r.KRKey, r.Title, present.Value(r.Current, r.Unit)+" / "+present.Value(r.Target, r.Unit), progressBar(r.Progress),
			present.Status(r.Status), present.Count(max(r.EvidenceTotal, len(r.Evidence)), "item"))
	}
	return t.Write(w)
}

func progressBar(p float64) string {
	n := min(max(int(p*10+0.5), 0), 10)
	return fmt.Sprintf("%s%s %4s", strings.Repeat("█", n), strings.Repeat("░", 10-n), present.Percent(p))
}

func cmdBaseline(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("baseline", env)
	path := configFlag(fs, env)
	weeks := fs.Int("weeks", 6, "how many weeks, ending with the current one (1 to 104)")
	team := fs.String("team", "", "with -o json: the `TEAM` (default the first)")
	out := outputFlag(fs)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, ""); err != nil {
		return err
	}
	if asJSON, err := jsonRequested(fs, *out, "weeks"); err != nil {
		return err
	} else if asJSON {
		return writeView(ctx, env, *path, func(ctx context.Context, db *dashboard.Dashboard) (*dashboard.BaselineView, error) {
			return db.Baseline(ctx, dashboard.Query{Team: *team})
		})
	}
	if *team != "" {
		return usageError{errors.New("--team goes with -o json; the table shows every team's people")}
	}
	if *weeks < 1 || *weeks > 104 {
		return usageError{fmt.Errorf("--weeks: want 1 to 104, got %d", *weeks)}
	}
	a, err := openReadOnly(ctx, env, *path)
	if err != nil {
		return err
	}
	defer a.close()
	return a.engine.WriteBaseline(ctx, *weeks, env.stdout)
}

func cmdSet(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("set", env)
	path := configFlag(fs, env)
	by := fs.String("by", env.getenv("USER"), "who sets the value (kept as its evidence; default $USER)")
	note := fs.String("note", "", "why, or where the number comes from")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, "KR VALUE"); err != nil {
		return err
	}
	value, err := strconv.ParseFloat(fs.Arg(1), 64)
	if err != nil {
		return usageError{fmt.Errorf("VALUE: want a number, got %q", fs.Arg(1))}
	}
	a, err := openReadOnly(ctx, env, *path)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.engine.SetManual(ctx, fs.Arg(0), value, *by, *note); err != nil {
		return inputError(err)
	}
	fmt.Fprintf(env.stdout, "%s set to %s; a running daemon writes it back with its next write round\n", fs.Arg(0), present.Number(value))
	return writeResults(ctx, a.engine, env.stdout)
}

func cmdAway(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("away", env)
	path := configFlag(fs, env)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, "PERSON WEEK"); err != nil {
		return err
	}
	a, err := openReadOnly(ctx, env, *path)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.engine.SetAway(ctx, fs.Arg(0), fs.Arg(1)); err != nil {
		return inputError(err)
	}
	fmt.Fprintf(env.stdout, "%s is away in %s: that week is neither a miss nor silent\n", fs.Arg(0), fs.Arg(1))
	return nil
}

func cmdNote(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("note", env)
	path := configFlag(fs, env)
	by := fs.String("by", env.getenv("USER"), "who writes the note (default $USER)")
	week := fs.String("week", "", "ISO `WEEK`, e.g. 2026-W47 (default: the current week of the key result's team)")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, "KR TEXT"); err != nil {
		return err
	}
	a, err := openReadOnly(ctx, env, *path)
	if err != nil {
		return err
	}
	defer a.close()
	n, err := a.noteFor(ctx, fs.Arg(0), *week)
	if err != nil {
		return err
	}
	n.Body, n.Source, n.SetBy, n.SetAt = strings.TrimSpace(fs.Arg(1)), store.NoteFromCLI, *by, a.now()
	if err := a.store.SetNote(ctx, n); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s: note for %s kept; the weekly check-in and the dashboard show it\n", n.KRKey, n.Week)
	return nil
}

// noteFor checks the key result and the week a note is for: --week, or the
// current week in the calendar of the key result's team.
func (a *app) noteFor(ctx context.Context, kr, week string) (store.Note, error) {
	results, err := a.engine.Results(ctx)
	if err != nil {
		return store.Note{}, err
	}
	i := slices.IndexFunc(results, func(r rules.Result) bool { return r.KRKey == kr })
	if i < 0 {
		keys := make([]string, len(results))
		for j, r := range results {
			keys[j] = r.KRKey
		}
		return store.Note{}, usageError{fmt.Errorf("unknown key result %q (key results: %s)", kr, strings.Join(keys, ", "))}
	}
	if week != "" {
		w, err := calendar.ParseWeek(week)
		if err != nil {
			return store.Note{}, usageError{fmt.Errorf("--week: %w", err)}
		}
		return store.Note{KRKey: kr, Week: w.String()}, nil
	}
	w, err := a.reports.CurrentWeek(results[i].Team, a.now())
	if err != nil {
		return store.Note{}, err
	}
	return store.Note{KRKey: kr, Week: w.String()}, nil
}
