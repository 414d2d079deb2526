package main

import (
	"context"
	"errors"
	"fmt"
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

// discoverer asks one connector what the token in envVar can see and files
// it on the model; errSkipped leaves the connector out.
type discoverer struct {
	name, envVar string
	run          func(ctx context.Context, tok secret.String) error
}

var errSkipped = errors.New("skipped")

// discoverAll asks each connector whose token is set what it can see.
func discoverAll(ctx context.Context, env *cliEnv, f *initFlags) (*initModel, error) {
	m := &initModel{LinearURL: f.linearURL, NotionURL: f.notionURL}
	var found, vars []string
	for _, d := range m.discoverers(env, f) {
		vars = append(vars, d.envVar)
		tok, ok := token(env, d.envVar)
		if !ok {
			continue
		}
		switch err := d.run(ctx, tok); {
		case errors.Is(err, errSkipped):
		case err != nil:
			return nil, fmt.Errorf("%s: %w", d.name, err)
		default:
			found = append(found, d.name)
		}
	}
	if len(found) == 0 {
		return nil, usageError{fmt.Errorf("no token in the environment: set one of %s (Jira with JIRA_BASE_URL, Trello with TRELLO_TOKEN)", strings.Join(vars, ", "))}
	}
	fmt.Fprintf(env.stderr, "goalpost: init: discovered %s\n", strings.Join(found, ", "))
	m.people()
	m.examples()
	return m, nil
}

// discoverers are the connectors init asks, in the starter file's order.
func (m *initModel) discoverers(env *cliEnv, f *initFlags) []discoverer {
	return []discoverer{
		{"github", "GITHUB_TOKEN", func(ctx context.Context, tok secret.String) error {
			d, err := github.Discover(ctx, &github.Config{BaseURL: f.githubURL, Token: tok}, nil)
			m.GitHub = &initGitHub{BaseURL: f.githubURL, Discovery: d}
			return err
		}},
		{"gitlab", "GITLAB_TOKEN", func(ctx context.Context, tok secret.String) error {
			d, err := gitlab.Discover(ctx, &gitlab.Config{BaseURL: f.gitlabURL, Token: tok})
			m.GitLab = &initGitLab{BaseURL: f.gitlabURL, Discovery: d}
			return err
		}},
		{"jira", "JIRA_API_TOKEN", func(ctx context.Context, tok secret.String) error {
			return m.discoverJira(ctx, env, f, tok)
		}},
		{"linear", "LINEAR_API_KEY", func(ctx context.Context, key secret.String) error {
			d, err := linear.Discover(ctx, &linear.Config{BaseURL: f.linearURL, APIKey: key})
			m.Linear = &d
			return err
		}},
		{"asana", "ASANA_TOKEN", func(ctx context.Context, tok secret.String) error {
			d, err := asana.Discover(ctx, &asana.Config{BaseURL: f.asanaURL, Token: tok})
			m.Asana = &initAsana{BaseURL: f.asanaURL, Discovery: d}
			return err
		}},
		{"trello", "TRELLO_KEY", func(ctx context.Context, key secret.String) error {
			tok, _ := token(env, "TRELLO_TOKEN")
			d, err := trello.Discover(ctx, &trello.Config{BaseURL: f.trelloURL, Key: key, Token: tok})
			m.Trello = &initTrello{BaseURL: f.trelloURL, Discovery: d}
			return err
		}},
		{"notion", "NOTION_TOKEN", func(ctx context.Context, tok secret.String) error {
			dbs, err := notion.Discover(ctx, &notion.Config{BaseURL: f.notionURL, Token: tok}, nil)
			m.Notion, m.NotionOn = dbs, true
			return err
		}},
	}
}

// discoverJira asks for the site on a terminal when JIRA_BASE_URL is unset;
// without one Jira is left out.
func (m *initModel) discoverJira(ctx context.Context, env *cliEnv, f *initFlags, tok secret.String) error {
	if f.jiraURL == "" && env.interactive {
		f.jiraURL = prompt(env, "Jira site URL (https://YOUR-SITE.atlassian.net): ")
		f.jiraEmail = prompt(env, "Jira account email (empty on Data Center): ")
	}
	if f.jiraURL == "" {
		fmt.Fprintln(env.stderr, "goalpost: JIRA_API_TOKEN is set but not JIRA_BASE_URL: Jira left out")
		return errSkipped
	}
	d, err := jira.Discover(ctx, &jira.Config{BaseURL: f.jiraURL, Email: f.jiraEmail, Token: tok})
	m.Jira = &initJira{BaseURL: f.jiraURL, Email: f.jiraEmail, Discovery: d}
	return err
}
