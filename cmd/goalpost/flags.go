package main

import (
	"flag"
	"fmt"

	"github.com/goalpost/goalpost/internal/config"
)

// newFlags returns a flag set for a command that prints its usage to stderr.
func newFlags(name, synopsis string, env *cliEnv) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "usage: goalpost %s [flags] %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// configFlag adds -c/--config, defaulting to $GOALPOST_CONFIG.
func configFlag(fs *flag.FlagSet, env *cliEnv) *string {
	p := new(string)
	def := env.getenv("GOALPOST_CONFIG")
	fs.StringVar(p, "c", def, "configuration file (default $GOALPOST_CONFIG)")
	fs.StringVar(p, "config", def, "same as -c")
	return p
}

// parse parses args, flags before, between or after the positional
// arguments (goalpost explain KR --item URL), turning flag errors into usage
// errors (exit 2).
func parse(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return err
			}
			return usageError{err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}

// loadConfig loads the file named by -c, with usage errors for a missing
// flag and for any problem in the file.
func loadConfig(path string, env *cliEnv) (*config.Config, error) {
	if path == "" {
		return nil, usageError{fmt.Errorf("no configuration file: pass -c FILE or set GOALPOST_CONFIG")}
	}
	cfg, err := config.Load(path, env.lookupEnv)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}
