package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/report/present"
)

// cmdStore runs `goalpost store copy`: an install moves from one store to
// another (SQLite to PostgreSQL), verified by row counts and, with -c, by
// `rebuild --check` on the destination.
func cmdStore(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("store", env)
	path := configFlag(fs, env)
	from := fs.String("from", "", "the store to copy: sqlite:PATH or postgres:DSN")
	to := fs.String("to", "", "the empty store to fill: postgres:DSN (postgres: alone reads $DATABASE_URL) or sqlite:PATH")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, "copy"); err != nil {
		return err
	}
	if fs.Arg(0) != "copy" {
		return usageError{fmt.Errorf("unknown store command %q: want copy", fs.Arg(0))}
	}
	src, err := config.ParseStore(*from, env.lookupEnv)
	if err != nil {
		return usageError{fmt.Errorf("--from: %w", err)}
	}
	dst, err := config.ParseStore(*to, env.lookupEnv)
	if err != nil {
		return usageError{fmt.Errorf("--to: %w", err)}
	}
	log := newLogger("warn", env.stderr)
	if err := copyStore(ctx, src, dst, log, env); err != nil {
		return err
	}
	if *path == "" {
		fmt.Fprintln(env.stdout, "copied; run 'goalpost rebuild --check' against the new store to compare every key result")
		return nil
	}
	return checkCopy(ctx, env, *path, dst, log)
}

func copyStore(ctx context.Context, from, to config.StoreConfig, log *slog.Logger, env *cliEnv) error {
	src, err := openStore(ctx, from, log)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer src.Close()
	dst, err := openStore(ctx, to, log)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer dst.Close()
	counts, err := src.CopyTo(ctx, dst)
	if werr := writeCounts(env, counts); err == nil {
		err = werr
	}
	return err
}

func writeCounts(env *cliEnv, counts []store.TableCount) error {
	t := present.Table{Header: []string{"TABLE", "SOURCE ROWS", "COPIED"}, Flex: -1}
	for _, c := range counts {
		t.Add(c.Table, fmt.Sprint(c.Source), fmt.Sprint(c.Copied))
	}
	return t.Write(env.stdout)
}

// checkCopy runs `rebuild --check` with the configuration's rules on the
// destination: the incremental state copied must equal a computation from
// scratch.
func checkCopy(ctx context.Context, env *cliEnv, path string, dst config.StoreConfig, log *slog.Logger) error {
	cfg, err := config.LoadLenient(path, env.lookupEnv)
	if err != nil {
		return usageError{err}
	}
	cfg.Store = dst
	a, err := build(ctx, cfg, log, buildOptions{out: env})
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.engine.WriteCheck(ctx, env.stdout); err != nil {
		return errors.Join(errors.New("the copy differs from a computation from scratch"), err)
	}
	return nil
}
