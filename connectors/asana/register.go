package asana

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/goalpost/goalpost/pipeline/event"
)

// remoteHook is a webhook as GET /webhooks lists it.
type remoteHook struct {
	GID    string `json:"gid"`
	Active bool   `json:"active"`
	Target string `json:"target"`
}

// Register makes sure every configured project has one active Asana
// webhook delivering to webhook_url, and returns how many it created. Per
// project it lists the webhooks on the project (GET /webhooks, in the
// project's workspace) and keeps one whose target is ours when it is
// active and its secret is kept; it deletes ours that are inactive or
// whose secret was lost (their deliveries could never be verified),
// forgets the old secret, and creates the webhook (Create: Asana's
// handshake must reach this receiver, so the server must be serving). A
// second call creates nothing. It is not safe for two processes at once
// (run it under a lease). Errors name the project and the target URL,
// never a secret. Without webhook_url it does nothing.
func (w *Webhook) Register(ctx context.Context) (int, error) {
	if w.target == "" {
		return 0, nil
	}
	created := 0
	for _, p := range w.m.s.projects {
		u, err := targetFor(w.target, p)
		if err != nil {
			return created, err
		}
		made, err := w.register(ctx, p, u)
		if err != nil {
			return created, fmt.Errorf("asana: register the webhook of project %s at %s: %w", p, u, err)
		}
		if made {
			created++
		}
	}
	return created, nil
}

// register ensures project's webhook to u; true when it created one.
func (w *Webhook) register(ctx context.Context, project, u string) (bool, error) {
	hooks, err := w.listHooks(ctx, project)
	if err != nil {
		return false, err
	}
	secret, err := w.secrets.HookSecret(ctx, event.SourceAsana, project)
	if err != nil {
		return false, err
	}
	keep := false
	for _, h := range hooks {
		if h.Target != u {
			continue // someone else's webhook on the project
		}
		if h.Active && secret != "" && !keep {
			keep = true
			continue
		}
		if err := w.client.Delete(ctx, "/webhooks/"+url.PathEscape(h.GID)); err != nil {
			return false, fmt.Errorf("delete stale webhook %s: %w", h.GID, err)
		}
	}
	if keep {
		return false, nil
	}
	// The kept secret (if any) belonged to a webhook that is gone: forget
	// it so that the new webhook's handshake is accepted on any replica.
	if err := w.secrets.DeleteHookSecret(ctx, event.SourceAsana, project); err != nil {
		return false, err
	}
	if err := w.Create(ctx, project, w.target); err != nil {
		var ae *Error
		if errors.As(err, &ae) {
			return false, fmt.Errorf("asana refused it (the handshake must reach this URL and be answered): %w", err)
		}
		return false, err
	}
	return true, nil
}

// listHooks lists the webhooks on project, in its workspace (Asana wants
// both), every page.
func (w *Webhook) listHooks(ctx context.Context, project string) ([]remoteHook, error) {
	var p struct {
		Workspace struct {
			GID string `json:"gid"`
		} `json:"workspace"`
	}
	if _, err := w.client.Get(ctx, "/projects/"+url.PathEscape(project), url.Values{"opt_fields": {"workspace"}}, &p); err != nil {
		return nil, fmt.Errorf("read the project's workspace: %w", err)
	}
	q := url.Values{"workspace": {p.Workspace.GID}, "resource": {project}, "limit": {"100"},
		"opt_fields": {"active,target"}}
	var out []remoteHook
	for {
		var page []remoteHook
		next, err := w.client.Get(ctx, "/webhooks", q, &page)
		if err != nil {
			return nil, fmt.Errorf("list webhooks: %w", err)
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		q.Set("offset", next)
	}
}
