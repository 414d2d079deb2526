package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/people"
)

func cmdCheck(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("check", env)
	path := configFlag(fs, env)
	show := fs.Bool("print", false, "print the configuration with defaults applied and secrets redacted")
	strictEnv := fs.Bool("require-env", false, "fail when a ${VAR} a secret refers to is not set (as run and sync do)")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, ""); err != nil {
		return err
	}
	if *path == "" {
		return usageError{errors.New("no configuration file: pass -c FILE or set GOALPOST_CONFIG")}
	}
	cfg, warnings, err := config.LoadForCheck(*path, env.lookupEnv)
	if cfg == nil {
		return usageError{err}
	}
	if *strictEnv && len(warnings) > 0 {
		return usageError{errors.New(strings.Join(warnings, "\n"))}
	}
	labels, warn := storedLabels(ctx, cfg.Store)
	if warn != "" {
		warnings = append(warnings, warn)
	}
	set, dir, errs, lint := checkConfig(cfg, err, labels)
	for _, w := range append(warnings, lint...) {
		fmt.Fprintf(env.stderr, "warning: %s\n", w)
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintf(env.stderr, "error: %v\n", e)
		}
		return usageError{fmt.Errorf("%s: %s", cfg.Path(), present.Count(len(errs), "error"))}
	}
	if *show {
		fmt.Fprint(env.stdout, cfg.Redacted())
	}
	fmt.Fprintf(env.stdout, "%s: ok (%d key results, %d people, %s)\n", cfg.Path(), len(set.Rules()), len(dir.People()), sections(cfg))
	return nil
}

// checkConfig compiles what check can of cfg whatever loadErr holds (the
// configuration's own errors), and returns every error, ordered by line, and
// the warnings: the rules' own and what Lint finds against the configured
// connectors, people and the labels seen in stored events (nil: none to
// check against).
func checkConfig(cfg *config.Config, loadErr error, labels []string) (*rules.Set, *people.Directory, []error, []string) {
	errs := confval.Flatten(loadErr)
	dir, err := people.New(cfg.People, cfg.Teams)
	errs = append(errs, confval.Flatten(cfg.LocateKey(err))...)
	set, err := rules.Compile(cfg.Objectives, rules.WithTeams(cfg.Teams))
	errs = append(errs, confval.Flatten(cfg.LocateKey(err))...)
	errs = followOn(errs)
	slices.SortStableFunc(errs, func(a, b error) int { return cmp.Compare(errorLine(a), errorLine(b)) })
	var warnings []string
	if set != nil {
		warnings = set.Warnings()
	}
	lint := confval.Flatten(cfg.LocateKey(errors.Join(rules.Lint(cfg.Objectives, known(cfg, dir, labels))...)))
	slices.SortStableFunc(lint, func(a, b error) int { return cmp.Compare(errorLine(a), errorLine(b)) })
	for _, w := range lint {
		warnings = append(warnings, w.Error())
	}
	return set, dir, errs, warnings
}

// followOn drops the errors that follow from another: "target equals
// baseline" after a misspelt target or one that is not a number.
func followOn(errs []error) []error {
	stands := map[string]bool{}
	for _, err := range errs {
		if ce, ok := err.(*config.Error); ok && ce.Stands != "" {
			stands[ce.Stands] = true
		}
	}
	return slices.DeleteFunc(errs, func(err error) bool {
		ce, ok := err.(*config.Error)
		return ok && ce.Stands == "" && stands[ce.Key]
	})
}

func errorLine(err error) int {
	var ce *config.Error
	if errors.As(err, &ce) {
		return ce.Line
	}
	return 0
}

// known is what Lint checks rules against: the configured sources, the
// numbers mapped from Jira custom fields, the people and their handles, the
// stored labels.
func known(cfg *config.Config, dir *people.Directory, labels []string) rules.Known {
	k := rules.Known{Sources: cfg.Sources(), Labels: labels}
	if cfg.Deploy != nil {
		k.Sources = append(k.Sources, event.SourceDeploy)
	}
	if cfg.Jira != nil {
		k.NumberFields = slices.Collect(maps.Keys(cfg.Jira.NumberFields))
	}
	if dir != nil && len(dir.People()) > 0 {
		for _, p := range dir.People() {
			k.People = append(k.People, p.Key)
		}
		k.HasHandle = func(h string) bool {
			return slices.ContainsFunc(k.Sources, func(s string) bool { _, ok := dir.Lookup(s, h); return ok })
		}
	}
	return k
}

// storedLabels are the labels of the events in the configured SQLite store,
// read without creating or migrating it: nil when there is no store file,
// no event yet, or the store is PostgreSQL (check needs no secret, ADR 6).
// A store that cannot be read gives a warning, not an error.
func storedLabels(ctx context.Context, sc config.StoreConfig) ([]string, string) {
	if sc.Driver == config.DriverPostgres {
		return nil, ""
	}
	st, err := store.OpenExisting(ctx, sc.Path)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ""
	}
	if err != nil {
		return nil, unreadable(err)
	}
	defer st.Close()
	n, err := st.CountEvents(ctx)
	if err != nil || n == 0 {
		return nil, unreadable(err)
	}
	labels, err := st.Labels(ctx)
	if err != nil {
		return nil, unreadable(err)
	}
	return append([]string{}, labels...), ""
}

func unreadable(err error) string {
	if err == nil {
		return ""
	}
	return fmt.Sprintf("labels not checked: %v", err)
}
