package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"time"

	xterm "golang.org/x/term"

	"github.com/goalpost/goalpost/connectors/asana"
	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/deploy"
	"github.com/goalpost/goalpost/connectors/github"
	"github.com/goalpost/goalpost/connectors/gitlab"
	"github.com/goalpost/goalpost/connectors/incidentio"
	"github.com/goalpost/goalpost/connectors/jira"
	"github.com/goalpost/goalpost/connectors/linear"
	"github.com/goalpost/goalpost/connectors/pagerduty"
	"github.com/goalpost/goalpost/connectors/trello"
)

// buildConnectors wires each configured source: its poller, and its webhook
// receiver when it has a webhook secret. Nothing talks to a service here.
func (a *app) buildConnectors() error {
	var deploys deploy.Attributor // attributes deploy documents: the code host's attribution
	if c := a.cfg.GitHub; c != nil {
		log := a.log.With("source", "github")
		// The store keeps ETags across processes, so cron syncs cost 304s too.
		src, err := github.NewSource(c, a.pub, a.store, log, github.WithETagStore(a.store),
			github.WithWarnings(func(kind string) { a.metrics.SourceWarning("github", kind) }))
		if err != nil {
			return err
		}
		a.pollers["github"], a.github = scheduled{src, c.PollInterval.Or(github.DefaultPollInterval)}, src
		deploys = src.Attribution()
		if c.WebhookSecret.IsSet() {
			wh, err := github.NewWebhook(c, a.pub, log, github.WithSource(src))
			if err != nil {
				return err
			}
			a.webhooks["github"] = wh
		}
	}
	if c := a.cfg.GitLab; c != nil {
		log := a.log.With("source", "gitlab")
		src, err := gitlab.NewSource(c, a.pub, a.store, log)
		if err != nil {
			return fmt.Errorf("gitlab: %w", err)
		}
		if err := a.addSource("gitlab", c.PollInterval.Or(gitlab.DefaultPollInterval), c.WebhookSecret.IsSet() || c.SigningToken.IsSet(),
			func() (connector.Poller, error) { return src, nil },
			// The webhook shares the poller's attribution and API client.
			func() (http.Handler, error) { return gitlab.NewWebhook(c, a.pub, log, gitlab.WithSource(src)) }); err != nil {
			return err
		}
	}
	if err := a.buildIncidentSources(); err != nil {
		return err
	}
	if d := a.cfg.Deploy; d != nil {
		var opts []deploy.Option
		if deploys != nil {
			opts = append(opts, deploy.WithAttributor(deploys))
		}
		wh, err := deploy.NewWebhook(d, a.pub, a.log.With("source", "deploy"), opts...)
		if err != nil {
			return err
		}
		a.webhooks["deploy"] = wh
	}
	if c := a.cfg.Jira; c != nil {
		src, err := jira.NewSource(c, a.pub, a.store, a.log.With("source", "jira"))
		if err != nil {
			return err
		}
		if err := a.addSource("jira", c.PollInterval.Or(jira.DefaultPollInterval), c.WebhookSecret.IsSet(),
			func() (connector.Poller, error) { return src, nil },
			func() (http.Handler, error) {
				// The poller's status list tells the webhook which category a status change left.
				return jira.NewWebhook(c, a.pub, a.log.With("source", "jira"), jira.WithStatusCategories(src), jira.WithFlagField(src))
			}); err != nil {
			return err
		}
	}
	if c := a.cfg.Linear; c != nil {
		if err := a.addSource("linear", c.PollInterval.Or(linear.DefaultPollInterval), c.WebhookSecret.IsSet(),
			func() (connector.Poller, error) {
				return linear.NewSource(c, a.pub, a.store, a.log.With("source", "linear"))
			},
			func() (http.Handler, error) { return linear.NewWebhook(c, a.pub, a.log.With("source", "linear")) }); err != nil {
			return err
		}
	}
	return a.buildTaskConnectors()
}

// buildTaskConnectors wires Asana and Trello: pollers, and webhook
// receivers that read back through the poller's client (one rate-limit
// budget per token).
func (a *app) buildTaskConnectors() error {
	if c := a.cfg.Asana; c != nil {
		log := a.log.With("source", "asana")
		src, err := asana.NewSource(c, a.pub, a.store, log)
		if err != nil {
			return err
		}
		a.pollers["asana"] = scheduled{src, c.PollInterval.Or(asana.DefaultPollInterval)}
		if c.Webhooks || c.WebhookURL != "" {
			wh, err := asana.NewWebhook(c, src.Client(), a.store, a.pub, log)
			if err != nil {
				return err
			}
			a.webhooks["asana"] = wh
			if c.WebhookURL != "" {
				a.registrars["asana"] = wh
			}
		}
	}
	if c := a.cfg.Trello; c != nil {
		log := a.log.With("source", "trello")
		src, err := trello.NewSource(c, a.pub, a.store, log)
		if err != nil {
			return err
		}
		a.pollers["trello"] = scheduled{src, c.PollInterval.Or(trello.DefaultPollInterval)}
		if c.Secret.IsSet() {
			wh, err := trello.NewWebhook(c, src.Client(), a.pub, log)
			if err != nil {
				return err
			}
			a.webhooks["trello"], a.registrars["trello"] = wh, wh
		}
	}
	return nil
}

// buildIncidentSources wires PagerDuty and incident.io: each poller and
// webhook share one API client and the [incidents] services map.
func (a *app) buildIncidentSources() error {
	services := a.cfg.Incidents
	if c := a.cfg.PagerDuty; c != nil {
		log := a.log.With("source", "pagerduty")
		client := pagerduty.NewClient(c)
		if err := a.addSource("pagerduty", c.PollInterval.Or(pagerduty.DefaultPollInterval), c.WebhookSecret.IsSet(),
			func() (connector.Poller, error) {
				return pagerduty.NewSource(c, services, a.pub, a.store, log, pagerduty.WithClient(client), pagerduty.WithClock(a.now))
			},
			func() (http.Handler, error) { return pagerduty.NewWebhook(c, services, client, a.pub, log) }); err != nil {
			return err
		}
	}
	if c := a.cfg.IncidentIO; c != nil {
		log := a.log.With("source", "incidentio")
		client := incidentio.NewClient(c, nil, nil, nil)
		if err := a.addSource("incidentio", c.PollInterval.Or(incidentio.DefaultPollInterval), c.WebhookSecret.IsSet(),
			func() (connector.Poller, error) {
				return incidentio.NewSource(c, services, client, a.pub, a.store, log, nil)
			},
			func() (http.Handler, error) { return incidentio.NewWebhook(c, services, client, a.pub, log, nil) }); err != nil {
			return err
		}
	}
	return nil
}

func (a *app) addSource(name string, every time.Duration, hook bool, newPoller func() (connector.Poller, error), newHook func() (http.Handler, error)) error {
	p, err := newPoller()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	a.pollers[name] = scheduled{p, every}
	if !hook {
		return nil
	}
	h, err := newHook()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	a.webhooks[name] = h
	return nil
}

// backfill loads history from since, once, for every configured source
// that keeps history: GitHub with its progress bar, then every other
// connector.Backfiller in turn, each with a progress line on a terminal
// and progress lines in the logs. A failing source does not stop the
// others; the error names every failure.
func (a *app) backfill(ctx context.Context, since time.Time, env *cliEnv) error {
	var errs []error
	n := 0
	if a.github != nil {
		n++
		if err := a.github.Backfill(ctx, since, env.stderr); err != nil { // draws a progress bar only on a terminal
			errs = append(errs, fmt.Errorf("backfill github: %w", err))
		}
	}
	var term io.Writer
	if f, ok := env.stderr.(*os.File); ok && xterm.IsTerminal(int(f.Fd())) {
		term = f
	}
	for _, name := range slices.Sorted(maps.Keys(a.pollers)) {
		b, ok := a.pollers[name].Poller.(connector.Backfiller)
		if !ok {
			continue
		}
		n++
		if err := b.Backfill(ctx, since, connector.NewProgress(name, term, a.log, a.now)); err != nil {
			errs = append(errs, fmt.Errorf("backfill %s: %w", name, err))
		}
	}
	if n == 0 {
		return usageError{fmt.Errorf("--since needs a source that keeps history ([github], [jira], [linear], …)")}
	}
	return errors.Join(errs...)
}
