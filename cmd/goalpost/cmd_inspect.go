package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// offline is the store and engine without the stream or any connector: what
// the read-only commands (explain, baseline, status, report) and rebuild need.
type offline struct {
	cfg    *config.Config
	store  *store.Store
	engine *engine.Engine
}

func openOffline(ctx context.Context, env *cliEnv, path string) (*offline, error) {
	cfg, err := loadConfig(path, env)
	if err != nil {
		return nil, err
	}
	set, dir, err := compileRules(cfg)
	if err != nil {
		return nil, usageError{err}
	}
	log := newLogger(cfg.LogLevel, env.stderr)
	st, err := store.Open(ctx, cfg.Store.Path, log.With("component", "store"))
	if err != nil {
		return nil, err
	}
	eng := engine.New(set, dir, st, engine.WithLogger(log.With("component", "engine")))
	return &offline{cfg: cfg, store: st, engine: eng}, nil
}

func (o *offline) close() { _ = o.store.Close() }

func cmdExplain(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("explain", "KR", env)
	path := configFlag(fs, env)
	item := fs.String("item", "", "an item's URL: say why it did or did not count")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Errorf("explain needs one key result key, e.g. goalpost explain -c goalpost.toml ship-80")}
	}
	o, err := openOffline(ctx, env, *path)
	if err != nil {
		return err
	}
	defer o.close()
	return o.engine.Explain(ctx, fs.Arg(0), *item, env.stdout)
}

func cmdRebuild(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("rebuild", "", env)
	path := configFlag(fs, env)
	check := fs.Bool("check", false, "change nothing: compare each key result's incremental state with a computation from scratch")
	if err := parse(fs, args); err != nil {
		return err
	}
	o, err := openOffline(ctx, env, *path)
	if err != nil {
		return err
	}
	defer o.close()
	if *check {
		return o.engine.WriteCheck(ctx, env.stdout)
	}
	return o.engine.Rebuild(ctx, env.stdout)
}

func cmdStatus(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("status", "", env)
	path := configFlag(fs, env)
	retry := fs.String("retry-parked", "", "retry parked writes: \"all\", a service (\"notion\", \"linear\") or one target (\"notion:page:ID\")")
	if err := parse(fs, args); err != nil {
		return err
	}
	o, err := openOffline(ctx, env, *path)
	if err != nil {
		return err
	}
	defer o.close()
	sender := writeback.New(o.store, nil, slog.New(slog.DiscardHandler))
	if *retry != "" {
		sel, err := outbox.ParseSelector(*retry)
		if err != nil {
			return usageError{fmt.Errorf("status --retry-parked: %w", err)}
		}
		n, err := sender.RetryParked(ctx, sel)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%d parked writes queued again; a running daemon sends them now\n\n", n)
	}
	results, err := o.lastResults(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "As last evaluated by goalpost (run or sync); a source that was failing then shows as stale.")
	if err := writeResultTable(results, env.stdout); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout)
	return sender.WriteStatus(ctx, env.stdout)
}

// lastResults are the results the daemon (or the last sync) stored — what
// was written back, with stale where a source was failing — and, for a key
// result never evaluated under its current rule, a fresh evaluation. This
// command has no connector, so it cannot tell itself whether a source fails.
func (o *offline) lastResults(ctx context.Context) ([]rules.Result, error) {
	results, err := o.engine.Results(ctx)
	if err != nil {
		return nil, err
	}
	states, err := o.store.KRView().States(ctx)
	if err != nil {
		return nil, err
	}
	stored := map[string]rules.Result{}
	for _, st := range states {
		if r, err := engine.DecodeState(st.Result); err == nil {
			stored[st.KRKey] = r
		}
	}
	for i, r := range results {
		if s, ok := stored[r.KRKey]; ok && s.RuleVersion == r.RuleVersion {
			results[i] = s
		}
	}
	return results, nil
}

// printResults prints where each key result stands after a cycle.
func (a *app) printResults(ctx context.Context, w io.Writer, processed int) error {
	fmt.Fprintf(w, "processed %d new events\n\n", processed)
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
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY RESULT\tCURRENT / TARGET\tPROGRESS\tSTATUS\tEVIDENCE")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s / %s\t%s\t%s\t%s\n", r.KRKey, present.Value(r.Current, r.Unit), present.Value(r.Target, r.Unit),
			progressBar(r.Progress), present.Status(r.Status), present.Count(max(r.EvidenceTotal, len(r.Evidence)), "item"))
	}
	return tw.Flush()
}

func progressBar(p float64) string {
	n := int(p*10 + 0.5)
	return fmt.Sprintf("%s%s %4s", strings.Repeat("█", n), strings.Repeat("░", 10-n), present.Percent(p))
}

func cmdBaseline(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("baseline", "", env)
	path := configFlag(fs, env)
	weeks := fs.Int("weeks", 6, "how many weeks, ending with the current one")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *weeks < 1 || *weeks > 104 {
		return usageError{fmt.Errorf("--weeks: want 1 to 104, got %d", *weeks)}
	}
	o, err := openOffline(ctx, env, *path)
	if err != nil {
		return err
	}
	defer o.close()
	return o.engine.WriteBaseline(ctx, *weeks, env.stdout)
}

func cmdSet(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("set", "KR VALUE", env)
	path := configFlag(fs, env)
	by := fs.String("by", env.getenv("USER"), "who sets the value (kept as its evidence)")
	note := fs.String("note", "", "why, or where the number comes from")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{fmt.Errorf("set needs a manual key result and a value, e.g. goalpost set -c goalpost.toml nps 41 --note \"Q4 survey\"")}
	}
	value, err := strconv.ParseFloat(fs.Arg(1), 64)
	if err != nil {
		return usageError{fmt.Errorf("value: want a number, got %q", fs.Arg(1))}
	}
	o, err := openOffline(ctx, env, *path)
	if err != nil {
		return err
	}
	defer o.close()
	if err := o.engine.SetManual(ctx, fs.Arg(0), value, *by, *note); err != nil {
		return usageError{err}
	}
	fmt.Fprintf(env.stdout, "%s set to %s; a running daemon writes it back with its next write round\n", fs.Arg(0), present.Number(value))
	return writeResults(ctx, o.engine, env.stdout)
}
