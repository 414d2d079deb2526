// Command goalpost links the work trackers a team uses (GitHub, Jira, Linear)
// to the goals it wrote down (OKRs in Notion or Linear): it runs as a daemon
// (pollers, webhook receiver, processor, writers), as a one-shot sync for
// cron, and prints reports. `goalpost demo` runs the whole loop against a
// built-in sandbox with no accounts or tokens.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // runtime failure
	exitUsage   = 2 // usage or configuration error
)

// usageError marks an error as the user's (bad flags, bad config): exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// cliEnv is what commands read and write besides their arguments.
type cliEnv struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	interactive    bool // stdin is a terminal: init may ask what it cannot discover
	getenv         func(string) string
	lookupEnv      func(string) (string, bool)
	now            func() time.Time // nil: time.Now
}

// clock is the time now (env.now in tests).
func (e *cliEnv) clock() time.Time {
	if e.now == nil {
		return time.Now()
	}
	return e.now()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	fi, err := os.Stdin.Stat()
	tty := err == nil && fi.Mode()&os.ModeCharDevice != 0
	code := runMain(ctx, os.Args[1:], &cliEnv{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, interactive: tty, getenv: os.Getenv, lookupEnv: os.LookupEnv})
	stop()
	os.Exit(code)
}

func runMain(ctx context.Context, args []string, env *cliEnv) int {
	if len(args) == 0 {
		usage(env.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help":
		usage(env.stdout)
		return exitOK
	case "help":
		return help(env, args[1:])
	case "--version", "-version":
		args = []string{"version"}
	}
	c := lookup(args[0])
	if c == nil {
		return unknownCommand(env.stderr, args[0])
	}
	return exitCode(env.stderr, c.run(ctx, env, args[1:]))
}

// help is `goalpost help [COMMAND]`.
func help(env *cliEnv, args []string) int {
	if len(args) == 0 {
		usage(env.stdout)
		return exitOK
	}
	c := lookup(args[0])
	if c == nil {
		return unknownCommand(env.stderr, args[0])
	}
	return exitCode(env.stderr, c.run(context.Background(), env, []string{"--help"}))
}

func unknownCommand(w io.Writer, name string) int {
	fmt.Fprintf(w, "goalpost: unknown command %q", name)
	if s := confval.Suggest(name, commandNames()); s != "" {
		fmt.Fprintf(w, "; did you mean %q?", s)
	}
	fmt.Fprint(w, "\n\n")
	usage(w)
	return exitUsage
}

func exitCode(stderr io.Writer, err error) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "goalpost: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "goalpost: %v\n", err)
		return exitFailure
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, "goalpost links the work trackers a team uses to the goals it wrote down.\n\nUsage:\n  goalpost <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'goalpost help <command>' for a command's flags and examples. The configuration file (-c)\n"+
		"defaults to $GOALPOST_CONFIG. Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.\n")
}
