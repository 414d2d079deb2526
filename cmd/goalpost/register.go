package main

import (
	"context"
	"maps"
	"slices"
	"time"
)

// webhookRegistrar registers a source's webhooks with its service
// (asana.Webhook, trello.Webhook): Register creates the missing ones and
// returns how many. It blocks until done; it is idempotent (a second call
// creates nothing) but not safe on two replicas at once, hence the lease;
// the public server must be serving (the service checks the URL while the
// create call is open). Errors name the URL, never a secret.
type webhookRegistrar interface {
	Register(ctx context.Context) (int, error)
}

// webhookCheckEvery is how often registered webhooks are looked at again:
// Asana deletes a webhook after a day of failed deliveries.
const webhookCheckEvery = time.Hour

// registerWebhooks registers every source's webhooks once the public
// server listens, then checks again every webhookCheckEvery, until ctx
// ends. A failure is logged (polling goes on) and tried again next round.
func (a *app) registerWebhooks(ctx context.Context) error {
	if _, err := a.server.Addr(ctx); err != nil {
		return nil // stopped before the server listened
	}
	t := time.NewTicker(webhookCheckEvery)
	defer t.Stop()
	for {
		for _, name := range slices.Sorted(maps.Keys(a.registrars)) {
			n, err := a.registrars[name].Register(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				a.log.Error("webhook registration failed; polling goes on", "source", name, "err", err)
			case n > 0:
				a.log.Info("webhooks registered", "source", name, "created", n)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
