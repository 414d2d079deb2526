package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// command is one subcommand and its help.
type command struct {
	name     string
	summary  string // one line: what it is for
	synopsis string // after "goalpost NAME"
	about    string // a paragraph
	examples []string
	run      func(ctx context.Context, env *cliEnv, args []string) error
}

func commands() []command {
	return []command{
		{"run", "Run the daemon: pollers, webhook receiver, processor, writers, report schedule", "-c FILE [--dry-run]",
			"Polls every configured source at its interval, receives webhooks at /webhooks/<source>, evaluates key results as events arrive and every tick, writes them back to Notion and Linear, and sends the weekly check-in on its schedule. Serves the dashboard at /, /metrics and /healthz. Needs the secrets of every configured service. Stops cleanly on SIGINT or SIGTERM.",
			[]string{"goalpost run -c goalpost.toml", "goalpost run -c goalpost.toml --dry-run   # print the writes, send none"}, cmdRun},
		{"sync", "Run one poll → evaluate → write cycle, for cron; or backfill with --since", "-c FILE (--once | --since DATE) [--dry-run]",
			"Polls every source once, all at the same time, printing each one's result as it finishes, then evaluates every key result, sends the writes that are due and reads back the owners' notes typed under the Notion check-ins that changed. A failing source does not stop the others: its key results show stale, and sync exits 1 naming every failure. --since first loads the history from DATE from every source that keeps it (GitHub, GitLab, Jira, Linear, Asana, Trello, PagerDuty, incident.io: whatever changed since DATE, whatever their cursors say), with a progress line on a terminal and progress lines in the logs, then runs the cycle.",
			[]string{"goalpost sync -c goalpost.toml --once", "goalpost sync -c goalpost.toml --since 2026-07-01", "goalpost sync -c goalpost.toml --once --dry-run"}, cmdSync},
		{"init", "Write a starter configuration from what the tokens in the environment can see", "[-o FILE [--force]]",
			"Reads GITHUB_TOKEN, JIRA_API_TOKEN (with JIRA_BASE_URL and JIRA_EMAIL), LINEAR_API_KEY and NOTION_TOKEN, asks each service, read-only, what they can see (repositories and their production environments, Jira projects, Linear teams and projects, Notion databases shaped like key results, people by login, email and account id) and writes a commented configuration that check accepts: secrets as ${VAR} references, key results left for you with two worked examples. Writes to stdout without -o; -o refuses to replace a file without --force. Asks for the Jira site only when stdin is a terminal.",
			[]string{"goalpost init -o goalpost.toml", "GITHUB_TOKEN=... NOTION_TOKEN=... goalpost init > goalpost.toml"}, cmdInit},
		{"check", "Validate the configuration and rules without touching the network", "-c FILE [--print] [--require-env]",
			"Decodes the file strictly (an unknown key is an error naming file, line and key), validates every section and compiles every key result's match rule. A secret whose ${VAR} is not set is a warning here (an error with --require-env). --print shows the configuration with secrets redacted.",
			[]string{"goalpost check -c goalpost.toml", "goalpost check -c goalpost.toml --require-env   # in CI, with the secrets", "goalpost check -c goalpost.toml --print"}, cmdCheck},
		{"doctor", "Check every configured connection, read-only, with a fix for each failure", "-c FILE [--send-test]",
			"Calls each configured service with the real credentials and checks what goalpost needs from it: GitHub repositories, pull requests, deployments, runs and hook deliveries; Jira credentials, time zone, projects and the Flagged field; Linear key, teams, projects and initiatives; Notion token, pages, properties, status options and goals; Slack webhook URLs. Changes nothing (--send-test posts one test message to each Slack destination). Exits 1 when a check fails.",
			[]string{"goalpost doctor -c goalpost.toml", "goalpost doctor -c goalpost.toml --send-test"}, cmdDoctor},
		{"demo", "Run the whole loop against the built-in sandbox (no accounts, no tokens)", "[--once] [--data DIR] [--every D] [--seed N]",
			"Starts in-process fakes of GitHub, GitLab, PagerDuty, Trello, Slack and Notion seeded with a small company, an embedded stream and a SQLite file under --data, runs one full cycle and prints what it wrote; then keeps running as a daemon while the sandbox company plays a seeded rhythm, a beat every --every: merges, deploys (some failing), incidents and launch-board cards, so key results keep moving, some at risk and some recovering, for more than an hour. Its configuration is written to DIR/goalpost.toml, so every other command works on its data.",
			[]string{"goalpost demo", "goalpost demo --once", "goalpost demo --every 2s --seed 7 --data /var/tmp/goalpost-demo"}, cmdDemo},
		{"status", "Show key results, sources, and pending or parked writes", "-c FILE [--retry-parked TARGET] [-o text|json]",
			"Reads the store only: each key result as goalpost last evaluated it, each source's last successful poll and last error, when key results were last evaluated, and the writes waiting to be sent or parked with their reason. --retry-parked requeues parked writes after their cause is fixed (all, or those whose target starts with notion: or linear:). -o json prints the JSON API's /api/v1/status view instead. Needs no secret.",
			[]string{"goalpost status -c goalpost.toml", "goalpost status -c goalpost.toml --retry-parked notion:", "goalpost status -c goalpost.toml --retry-parked all"}, cmdStatus},
		{"explain", "Explain a key result's value: its formula with the numbers filled in, and its evidence", "-c FILE KR [--item URL] [-o text|json]",
			"Prints the value, the formula with the numbers filled in, the status and why, and every item behind the value. With --item (a URL, or a unit such as AUTH-123 or acme/api#12) it also says whether and why that item counted. -o json prints the JSON API's /api/v1/krs/KR view instead. Reads the store only; needs no secret.",
			[]string{"goalpost explain -c goalpost.toml ship-80", "goalpost explain -c goalpost.toml ship-80 --item https://github.com/acme/api/pull/12"}, cmdExplain},
		{"rebuild", "Recompute every key result from the stored events after a rule change", "-c FILE",
			"Replays every stored event through the current rules and prints what changed. Stop the daemon while a large rebuild runs: it holds the store's write lock (about 30 s per million events). Needs no secret.",
			[]string{"goalpost rebuild -c goalpost.toml"}, cmdRebuild},
		{"baseline", "Print who shipped to production, per person and local week", "-c FILE [--weeks N] [-o json [--team T]]",
			"Counts, per engineer and per week in their own time zone, the changes that reached production, with the weeks goalpost has data for. -o json prints the JSON API's /api/v1/baseline view of one team instead. Reads the store only; needs no secret.",
			[]string{"goalpost baseline -c goalpost.toml", "goalpost baseline -c goalpost.toml --weeks 12"}, cmdBaseline},
		{"away", "Mark a person away for a week: neither a miss nor silent in the baseline", "-c FILE PERSON WEEK",
			"Records in the store that PERSON (a [[people]] key) was away in WEEK (an ISO week such as 2026-W47). Weeks known in advance can also be listed in the person's away setting. Needs no secret.",
			[]string{"goalpost away -c goalpost.toml ana 2026-W52"}, cmdAway},
		{"set", "Set a manual key result's value", "-c FILE KR VALUE [--note TEXT] [--by NAME]",
			"Records a value for a key result of type manual. Every value is kept with who set it, when and why, and shows as its evidence in explain; a running daemon writes the new value back with its next write round.",
			[]string{`goalpost set -c goalpost.toml nps 41 --note "Q4 survey"`, `goalpost set -c goalpost.toml nps 43 --by ana --note "re-count"`}, cmdSet},
		{"note", "Write the owner's note on a key result for the week", "-c FILE KR TEXT [--week 2026-W47] [--by NAME]",
			"Keeps the note (the plan, the help needed) for the key result and week: the weekly check-in shows the week's notes in its narrative and the dashboard on the key result. A later note of the same week replaces it, an empty one clears it. Owners can also type it under the check-in on the key result's Notion page, which the daemon and sync read back; the note goalpost learnt last wins. Needs no secret.",
			[]string{`goalpost note -c goalpost.toml ship-80 "Plan: batch the deploys; help: a second reviewer"`, `goalpost note -c goalpost.toml ship-80 "" --week 2026-W47`}, cmdNote},
		{"report", "Print or write the weekly check-in, or a quarter's grades", "-c FILE [--week 2026-W47 | --quarter 2026-Q4] [--team T] [--format md|html|json|slack] [--out F] [-o json]",
			"Drafts the weekly check-in for a team: what moved, each key result with its evidence, and the shipped-to-production grid. A finished week comes from its frozen snapshot, so it reads the same every time. With --quarter: the final value, grade (hit, partial, missed) and score of every key result whose period ends in the quarter, and each objective's score (md or json); frozen once the quarter is over, provisional (no grades) before. Reads the store only; needs no secret.",
			[]string{"goalpost report -c goalpost.toml", "goalpost report -c goalpost.toml --week 2026-W47 --format html --out week47.html", "goalpost report -c goalpost.toml --team platform --format slack", "goalpost report -c goalpost.toml --quarter 2026-Q4"}, cmdReport},
		{"store", "Copy an install's store to another database (SQLite to PostgreSQL)", "copy --from sqlite:PATH --to postgres:DSN [-c FILE]",
			"Copies every table (events, key-result state, snapshots, outbox, reports, cursors) from --from into --to, which must be empty (migrated on open), in one transaction, and prints each table's rows in both: a difference fails. With -c it then runs rebuild --check on the copy with the configuration's rules. Stop every goalpost using the source first. postgres: alone reads $DATABASE_URL, which keeps the password out of the process list. Then set [store] driver = \"postgres\" and dsn = \"${DATABASE_URL}\".",
			[]string{"goalpost store copy --from sqlite:data/goalpost.db --to postgres: -c goalpost.toml", "goalpost store copy --from sqlite:data/goalpost.db --to 'postgres:postgres://goalpost@db:5432/goalpost'"}, cmdStore},
		{"version", "Print the version, commit, build date and Go version", "",
			"Reads them from the binary's build information.",
			[]string{"goalpost version", "goalpost --version"}, cmdVersion},
	}
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return &c
		}
	}
	return nil
}

func commandNames() []string {
	var out []string
	for _, c := range commands() {
		out = append(out, c.name)
	}
	return out
}

// writeHelp prints a command's help: purpose, paragraph, usage, flags, examples.
func writeHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "%s\n\n%s\n\nUsage:\n  goalpost %s %s\n\nFlags:\n", c.summary, wrap(c.about, 100), c.name, c.synopsis)
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" {
			return
		}
		arg, text := flag.UnquoteUsage(f)
		name := "    --" + f.Name
		if f.Name == "c" {
			name = "-c, --config"
		}
		if arg != "" {
			name += " " + arg
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && !strings.Contains(text, "(default") {
			text += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  %-22s %s\n", name, text)
	})
	fmt.Fprintf(w, "  %-22s %s\n\nExamples:\n", "-h, --help", "show this help")
	for _, e := range c.examples {
		fmt.Fprintf(w, "  %s\n", e)
	}
}

// wrap breaks text into lines of at most width columns.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.Fields(text) {
		l := len([]rune(word))
		if n > 0 && n+1+l > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += l
	}
	return b.String()
}

// version is set at build time with -ldflags "-X main.version=..."; else
// it is the module version from the build information.
var version = ""

func cmdVersion(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags("version", env)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, ""); err != nil {
		return err
	}
	v, commit, date, goVersion := buildInfo()
	fmt.Fprintf(env.stdout, "goalpost %s\ncommit:  %s\nbuilt:   %s\ngo:      %s\n", v, commit, date, goVersion)
	return nil
}

// buildInfo reads the version, VCS commit and commit date, and Go version
// that the Go toolchain stamps into the binary.
func buildInfo() (v, commit, date, goVersion string) {
	v, commit, date, goVersion = version, "unknown", "unknown", "unknown"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return or(v, "dev"), commit, date, goVersion
	}
	goVersion = info.GoVersion
	if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.time":
			date = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified {
		commit += " (modified)"
	}
	return or(v, "dev"), commit, date, goVersion
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
