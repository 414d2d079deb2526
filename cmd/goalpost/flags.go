package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/goalpost/goalpost/internal/confval"
)

// newFlags returns the flag set of command name. Errors and --help are
// handled by parse, which prints the command's help to stdout.
func newFlags(name string, env *cliEnv) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// configFlag adds -c/--config, defaulting to $GOALPOST_CONFIG.
func configFlag(fs *flag.FlagSet, env *cliEnv) *string {
	p := new(string)
	def := env.getenv("GOALPOST_CONFIG")
	fs.StringVar(p, "c", def, "configuration `FILE` (default $GOALPOST_CONFIG)")
	fs.StringVar(p, "config", def, "same as -c")
	return p
}

// parse parses args, flags before, between or after the positional
// arguments (goalpost explain KR --item URL). --help prints the command's
// help to env.stdout and returns flag.ErrHelp (exit 0); a bad flag is a
// usage error (exit 2) that suggests the flag meant and lists the others.
func parse(fs *flag.FlagSet, args []string, env *cliEnv) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return flagError(fs, err, env)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}

func flagError(fs *flag.FlagSet, err error, env *cliEnv) error {
	if errors.Is(err, flag.ErrHelp) {
		writeHelp(env.stdout, lookup(fs.Name()), fs)
		return err
	}
	hint := fmt.Sprintf("run 'goalpost %s --help' for its flags and examples", fs.Name())
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		flags := []string{"help"}
		fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f.Name) })
		msg := fmt.Sprintf("unknown flag --%s for %s", name, fs.Name())
		if s := confval.Suggest(name, flags); s != "" {
			msg += fmt.Sprintf("; did you mean --%s?", s)
		}
		return usageError{fmt.Errorf("%s\nflags: %s\n%s", msg, flagList(fs), hint)}
	}
	return usageError{fmt.Errorf("%w\n%s", err, hint)}
}

// flagList is "-c/--config, --item, -h/--help".
func flagList(fs *flag.FlagSet) string {
	var out []string
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "config" && f.Name != "c" {
			out = append(out, "--"+f.Name)
		}
	})
	if fs.Lookup("c") != nil {
		out = append([]string{"-c/--config"}, out...)
	}
	return strings.Join(append(out, "-h/--help"), ", ")
}

// args checks the number of positional arguments: want names them ("KR
// VALUE", "" for none). Stray or missing arguments are usage errors.
func wantArgs(fs *flag.FlagSet, want string) error {
	names := strings.Fields(want)
	if fs.NArg() == len(names) {
		return nil
	}
	switch {
	case len(names) == 0:
		return usageError{fmt.Errorf("%s takes no arguments, got %q\nrun 'goalpost %[1]s --help' for its flags and examples", fs.Name(), strings.Join(fs.Args(), " "))}
	case fs.NArg() < len(names):
		return usageError{fmt.Errorf("%s needs %s\nrun 'goalpost %[1]s --help' for its flags and examples", fs.Name(), want)}
	}
	return usageError{fmt.Errorf("%s takes %s, got %q\nrun 'goalpost %[1]s --help' for its flags and examples", fs.Name(), want, strings.Join(fs.Args(), " "))}
}
