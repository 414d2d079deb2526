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
	every := fs.Duration("every", 10*time.Second, "while running, how often the sandbox ships a change")
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
	fmt.Fprintf(env.stdout, "goalpost demo: sandbox GitHub at %s, Notion at %s, Trello at %s; data and config in %s\n\n",
		sb.GitHubURL(), sb.NotionURL(), sb.TrelloURL(), cfg.DataDir)
	n, err := a.cycle(ctx, env.stdout)
	if err != nil {
		return err
	}
	if err := a.printResults(ctx, env.stdout, n); err != nil {
		return err
	}
	printNotionPages(env.stdout, sb)
	if err := a.sendSlack(ctx); err != nil {
		return err
	}
	slackSeen := map[string]int{}
	printSlack(env.stdout, sb, slackSeen)
	fmt.Fprintf(env.stdout, "\nThe demo's data stays in %s; try:\n  goalpost explain -c %[2]s ship-80\n  goalpost baseline -c %[2]s --weeks 6\n  goalpost report -c %[2]s\n",
		cfg.DataDir, filepath.Join(cfg.DataDir, "goalpost.toml"))
	if *once {
		return nil
	}
	return a.runDemo(ctx, sb, *every, env.stdout, slackSeen)
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

// runDemo keeps goalpost running as a daemon while the sandbox ships a change
// every interval and delivers its webhooks, printing each change's effect.
func (a *app) runDemo(ctx context.Context, sb *sandbox.Sandbox, every time.Duration, out io.Writer, slackSeen map[string]int) error {
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
		fmt.Fprintf(out, "The sandbox ships a change every %s and delivers its signed webhooks. Ctrl-C to stop.\n", every)
		return sb.Simulate(ctx, url, every, func(ctx context.Context, ch sandbox.Change) {
			select { // let the engine and the writer catch up
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			fmt.Fprintf(out, "\n%s merged and deployed %s#%d %q\n", ch.Author, ch.Repo, ch.Number, ch.Title)
			if ch.Card != "" {
				fmt.Fprintf(out, "The Trello card %q reached Done (goalpost polls the board every 30s)\n", ch.Card)
			}
			_ = writeResults(ctx, a.engine, out)
			fmt.Fprintf(out, "Notion pages now show Current: %s\n", notionCurrents(sb))
			printSlack(out, sb, slackSeen)
		})
	}
	return a.run(ctx, map[string]func(context.Context) error{"sandbox": simulate})
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
