package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/goalpost/goalpost/connectors/asana"
	"github.com/goalpost/goalpost/connectors/github"
	"github.com/goalpost/goalpost/connectors/gitlab"
	"github.com/goalpost/goalpost/connectors/jira"
	"github.com/goalpost/goalpost/connectors/linear"
	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/connectors/trello"
	"github.com/goalpost/goalpost/internal/secret"
)

// initFlags are goalpost init's flags.
type initFlags struct {
	out                                                            string
	force                                                          bool
	githubURL, gitlabURL, jiraURL, jiraEmail, linearURL, notionURL string
	asanaURL, trelloURL                                            string
}

// cmdInit discovers what the tokens in the environment can see and writes a
// commented starter configuration (secrets as ${ENV} references). The
// discovery lives in the connectors (Discover); this gathers and renders.
func cmdInit(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags("init", env)
	var f initFlags
	fs.StringVar(&f.out, "o", "", "write the configuration to this file (default: stdout)")
	fs.StringVar(&f.out, "out", "", "same as -o")
	fs.BoolVar(&f.force, "force", false, "overwrite the -o file if it exists")
	fs.StringVar(&f.githubURL, "github-url", env.getenv("GITHUB_API_URL"), "GitHub API base URL (default $GITHUB_API_URL, else api.github.com)")
	fs.StringVar(&f.gitlabURL, "gitlab-url", env.getenv("GITLAB_API_URL"), "GitLab API base URL, ending in /api/v4 (default $GITLAB_API_URL, else gitlab.com)")
	fs.StringVar(&f.jiraURL, "jira-url", env.getenv("JIRA_BASE_URL"), "Jira site URL (default $JIRA_BASE_URL)")
	fs.StringVar(&f.jiraEmail, "jira-email", env.getenv("JIRA_EMAIL"), "Jira Cloud account email (default $JIRA_EMAIL; empty on Data Center)")
	fs.StringVar(&f.linearURL, "linear-url", "", "Linear GraphQL endpoint (default api.linear.app)")
	fs.StringVar(&f.notionURL, "notion-url", "", "Notion API base URL (default api.notion.com)")
	fs.StringVar(&f.asanaURL, "asana-url", "", "Asana API base URL (default app.asana.com/api/1.0)")
	fs.StringVar(&f.trelloURL, "trello-url", "", "Trello API base URL (default api.trello.com/1)")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := wantArgs(fs, ""); err != nil {
		return err
	}
	if f.out != "" && !f.force {
		if _, err := os.Stat(f.out); err == nil {
			return usageError{fmt.Errorf("%s exists: pass --force to overwrite it", f.out)}
		}
	}
	m, err := discoverAll(ctx, env, &f)
	if err != nil {
		return err
	}
	if f.out == "" {
		return renderInit(env.stdout, m)
	}
	return writeInit(f.out, m)
}

// initModel is what init renders.
type initModel struct {
	GitHub *initGitHub
	GitLab *initGitLab
	Jira   *initJira
	Linear *linear.Discovery
	Asana  *initAsana
	Trello *initTrello
	Notion []notion.Database
	// NotionOn is true when NOTION_TOKEN is set (Notion may share nothing yet).
	NotionOn                   bool
	LinearURL, NotionURL       string
	People                     []initPerson
	ShipExample, RatioExample  string // the worked examples' match expressions
	RatioScope, RatioSourceDoc string
}

type initGitHub struct {
	BaseURL string
	github.Discovery
}

type initGitLab struct {
	BaseURL string
	gitlab.Discovery
}

type initAsana struct {
	BaseURL string
	asana.Discovery
}

type initTrello struct {
	BaseURL string
	trello.Discovery
}

type initJira struct {
	BaseURL, Email string
	jira.Discovery
}

// token is the environment variable's value as a secret, or false.
func token(env *cliEnv, name string) (secret.String, bool) {
	v, ok := env.lookupEnv(name)
	return secret.String(v), ok && v != ""
}

// prompt asks one question on the terminal and returns the trimmed answer.
func prompt(env *cliEnv, q string) string {
	fmt.Fprint(env.stderr, q)
	line, _ := bufio.NewReader(env.stdin).ReadString('\n')
	return strings.TrimSpace(line)
}

// writeInit writes the configuration to path (0600: it names the team's
// accounts), replacing it only with --force (checked by the caller).
func writeInit(path string, m *initModel) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if err := renderInit(f, m); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// renderInit executes the starter configuration's template.
func renderInit(w io.Writer, m *initModel) error {
	if err := initTmpl.Execute(w, m); err != nil {
		return fmt.Errorf("init: render: %w", err)
	}
	return nil
}
