package main

import (
	"context"
	"flag"
	"fmt"
	"slices"

	"github.com/goalpost/goalpost/internal/server/dashboard"
)

// outputFlag adds -o: text (the default) or json, the JSON API's view of
// the same data (docs/API.md).
func outputFlag(fs *flag.FlagSet) *string {
	return fs.String("o", "text", "output `FORMAT`: text or json (the JSON API's view, see docs/API.md)")
}

// jsonRequested checks -o's value o: text or json, anything else is a
// usage error naming both. With json, each of the flags set that does not
// go with it (conflicting) is a usage error too.
func jsonRequested(fs *flag.FlagSet, o string, conflicting ...string) (bool, error) {
	switch o {
	case "text":
		return false, nil
	case "json":
	default:
		return false, usageError{fmt.Errorf("-o: want text or json, got %q", o)}
	}
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err == nil && slices.Contains(conflicting, f.Name) {
			err = usageError{fmt.Errorf("--%s does not go with -o json (the API's view)", f.Name)}
		}
	})
	return err == nil, err
}

// writeView opens the read-only app, builds a view through the dashboard
// exactly as the API does and writes it as the API answers it. A view of
// something that does not exist (an unknown key result or team, a bad
// week) is a usage error.
func writeView[T any](ctx context.Context, env *cliEnv, path string, build func(context.Context, *dashboard.Dashboard) (T, error)) error {
	a, err := openReadOnly(ctx, env, path)
	if err != nil {
		return err
	}
	defer a.close()
	v, err := build(ctx, a.dashboard(nil))
	if err != nil {
		if dashboard.IsInputError(err) {
			return usageError{err}
		}
		return err
	}
	return dashboard.WriteJSON(env.stdout, v)
}
