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
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // runtime failure
	exitUsage   = 2 // usage or configuration error
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// usageError marks an error as the user's (bad flags, bad config): exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv is what commands read and write besides their arguments.
type cliEnv struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	lookupEnv      func(string) (string, bool)
}

func commands() []command {
	return []command{
		{"run", "run the daemon: pollers, webhook receiver, processor, writers", cmdRun},
		{"sync", "one poll → evaluate → write cycle (for cron), or a backfill with --since", cmdSync},
		{"check", "validate the configuration and rules (no network)", cmdCheck},
		{"doctor", "check every configured connection, read-only, with a fix per failure", cmdDoctor},
		{"demo", "run the whole loop against the built-in sandbox (no accounts, no tokens)", cmdDemo},
		{"status", "show key results, sources and pending or parked writes", cmdStatus},
		{"explain", "explain a key result's value: formula and evidence", cmdExplain},
		{"rebuild", "recompute key results from stored events after a rule change", cmdRebuild},
		{"baseline", "print the weekly shipped-to-production grid per person", cmdBaseline},
		{"set", "set a manual key result's value", cmdSet},
		{"report", "print or write the weekly check-in report", cmdReport},
		{"version", "print the version", cmdVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], &cliEnv{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, lookupEnv: os.LookupEnv})
	stop()
	os.Exit(code)
}

func runMain(ctx context.Context, args []string, env *cliEnv) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		return exitCode(env.stderr, err)
	}
	fmt.Fprintf(env.stderr, "goalpost: unknown command %q\n\n", args[0])
	usage(env.stderr)
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
	fmt.Fprintln(w, "usage: goalpost <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'goalpost <command> --help' for a command's flags. The config file defaults to $GOALPOST_CONFIG.")
}

func cmdVersion(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags("version", "", env)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "goalpost", version)
	return nil
}
