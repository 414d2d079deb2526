package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/sandbox"
	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/writeback/outbox"
)

func cmdDemo(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("demo", env)
	once := fs.Bool("once", false, "exit after one full poll → evaluate → write cycle")
	dataDir := fs.String("data", filepath.Join("data", "demo"), "where the demo keeps its SQLite file, stream and configuration")
	listen := fs.String("listen", "127.0.0.1:0", "webhook receiver address (port 0: any free port)")
	every := fs.Duration("every", 10*time.Second, "while running, the sandbox company's beat: at each, something may merge, deploy, break or get done")
	seed := fs.Uint64("seed", 1, "the seed of the sandbox company's live rhythm (the same seed plays the same beats)")
	slackChannel := fs.String("slack-channel", "", "post the demo's Slack messages to this real channel id with the bot token in $SLACK_BOT_TOKEN (default: print them)")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, ""); err != nil {
		return err
	}
	sb, err := sandbox.Start(time.Now())
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer sb.Close()
	if *slackChannel != "" {
		sb.UseRealSlack(*slackChannel)
	}
	cfg, err := writeDemoConfig(sb, *dataDir, *listen, env)
	if err != nil {
		return err
	}
	a, err := build(ctx, cfg, newLogger(cfg.LogLevel, env.stderr), daemon(env))
	if err != nil {
		return err
	}
	defer a.close()
	// The sandbox's Notion starts empty on every run: send every page's latest values again.
	if _, err := a.store.RequeueAll(ctx, outbox.ServiceNotion); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "goalpost demo: sandbox GitHub at %s, GitLab at %s, PagerDuty at %s, Notion at %s, Trello at %s; data and config in %s\n\n",
		sb.GitHubURL(), sb.GitLabURL(), sb.PagerDutyURL(), sb.NotionURL(), sb.TrelloURL(), cfg.DataDir)
	n, err := a.cycle(ctx, env.stdout)
	if err != nil {
		return err
	}
	if err := a.printResults(ctx, env.stdout, n); err != nil {
		return err
	}
	printNotionPages(env.stdout, sb)
	if err := a.demoOwnerNote(ctx, sb, env.stdout); err != nil {
		return err
	}
	if err := a.sendSlack(ctx); err != nil {
		return err
	}
	slackSeen := map[string]int{}
	printSlack(env.stdout, sb, slackSeen)
	fmt.Fprintf(env.stdout, "\nThe demo's data stays in %s; try:\n  goalpost explain -c %[2]s change-failure\n  goalpost baseline -c %[2]s --weeks 6\n  goalpost report -c %[2]s\n",
		cfg.DataDir, filepath.Join(cfg.DataDir, "goalpost.toml"))
	if *once {
		return nil
	}
	return a.runDemo(ctx, sb, demoPace{*every, *seed}, env.stdout, slackSeen)
}

// writeDemoConfig writes the sandbox's configuration under dataDir and loads
// it back through the same loader as any other configuration.
func writeDemoConfig(sb *sandbox.Sandbox, dataDir, listen string, env *cliEnv) (*config.Config, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(abs, "goalpost.toml")
	if err := os.WriteFile(path, []byte(sb.Config(abs, listen)), 0o600); err != nil {
		return nil, fmt.Errorf("write demo config: %w", err)
	}
	cfg, err := config.Load(path, env.lookupEnv)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// demoPace is the live simulation's beat and seed.
type demoPace struct {
	every time.Duration
	seed  uint64
}

// runDemo keeps goalpost running as a daemon while the sandbox plays its
// company's rhythm, printing each beat that did something and, when a key
// result moved, the results.
func (a *app) runDemo(ctx context.Context, sb *sandbox.Sandbox, pace demoPace, out io.Writer, slackSeen map[string]int) error {
	simulate := func(ctx context.Context) error {
		addr, err := a.server.Addr(ctx)
		if err != nil {
			return nil
		}
		admin, err := a.admin.Addr(ctx)
		if err != nil {
			return nil
		}
		url := "http://" + addr + "/webhooks/github"
		fmt.Fprintf(out, "\nRunning as a daemon: dashboard at http://%s/, webhooks at %s, metrics at http://%[1]s/metrics.\n", admin, url)
		fmt.Fprintf(out, "The sandbox company works in beats of %s (seed %d): pull and merge requests merge, deploys ship or fail,\n"+
			"incidents open and close, launch-board cards move. GitHub delivers signed webhooks; GitLab, PagerDuty and Trello are polled. Ctrl-C to stop.\n",
			pace.every, pace.seed)
		last := notionCurrents(sb)
		return sb.Simulate(ctx, url, pace.every, pace.seed, func(ctx context.Context, what string) {
			fmt.Fprintf(out, "\n%s %s\n", a.now().UTC().Format("15:04:05"), what)
			select { // let the engine and the writer catch up with the webhooks
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			if now := notionCurrents(sb); now != last {
				last = now
				_ = writeResults(ctx, a.engine, out)
				fmt.Fprintf(out, "Notion pages now show Current: %s\n", now)
			}
			printSlack(out, sb, slackSeen)
		})
	}
	return a.run(ctx, map[string]func(context.Context) error{"sandbox": simulate})
}

// The note the demo's owner of perf-30 types under its check-in in Notion.
const (
	demoNoteKR = "perf-30"
	demoNote   = "Plan: profile the checkout path first. Help needed: a reviewer who knows the cache layer."
)

// demoOwnerNote plays an owner writing the week's plan under a check-in in
// the sandbox's Notion, and reads it back as the daemon does every
// notes_interval: the check-in's narrative and the dashboard show it.
func (a *app) demoOwnerNote(ctx context.Context, sb *sandbox.Sandbox, w io.Writer) error {
	if a.notes == nil {
		return nil
	}
	if err := sb.WriteOwnerNote(demoNoteKR, demoNote); err != nil {
		return fmt.Errorf("demo note: %w", err)
	}
	if err := a.readNotes(ctx); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nThe owner of %s wrote under its check-in in Notion: %q\n(read back into the week's check-in narrative and the dashboard)\n", demoNoteKR, demoNote)
	return nil
}

// printNotionPages shows what goalpost wrote to the sandbox's Notion pages.
func printNotionPages(w io.Writer, sb *sandbox.Sandbox) {
	fmt.Fprintln(w, "\nWritten to the sandbox Notion pages:")
	t := present.Table{Header: []string{"PAGE", "CURRENT", "PROGRESS", "STATUS", "LAST SYNCED"}, Flex: 0}
	for _, k := range slices.Sorted(maps.Keys(sb.Pages)) {
		p, err := sb.Notion.Page(sb.Pages[k])
		if err != nil {
			continue
		}
		synced := fmt.Sprint(p.Props["Last synced"])
		if at, err := time.Parse(time.RFC3339, synced); err == nil {
			synced = at.UTC().Format("15:04:05 MST")
		}
		t.Add(fmt.Sprint(p.Props["Name"]), fmt.Sprint(p.Props["Current"]), fmt.Sprint(p.Props["Progress"]),
			fmt.Sprint(p.Props["Status"]), synced)
	}
	_ = t.Write(w)
}

// notionCurrents lists the Current property of each sandbox page, by key result.
func notionCurrents(sb *sandbox.Sandbox) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(sb.Pages)) {
		if p, err := sb.Notion.Page(sb.Pages[k]); err == nil {
			parts = append(parts, fmt.Sprintf("%s %v", k, p.Props["Current"]))
		}
	}
	return strings.Join(parts, " · ")
}
