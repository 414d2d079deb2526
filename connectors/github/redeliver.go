package github

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"
)

const (
	// redeliverAttempts bounds the redeliveries asked for one delivery.
	redeliverAttempts = 3
	// redeliverWindow is how old a failed delivery may be to be redelivered
	// (GitHub keeps deliveries redeliverable for a few days at least).
	redeliverWindow = 72 * time.Hour
)

// appScope names the GitHub App's own webhook (/app/hook/deliveries).
const appScope = "app"

// consumedEvents are the webhook events worth redelivering.
var consumedEvents = []string{"pull_request", "deployment_status", "release", "workflow_run"}

// redeliveries counts the redeliveries asked per delivery GUID.
type redeliveries struct {
	mu    sync.Mutex
	asked map[string]int
}

func newRedeliveries() *redeliveries { return &redeliveries{asked: map[string]int{}} }

// take reports whether guid may be redelivered once more, and counts it.
func (r *redeliveries) take(guid string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.asked[guid] >= redeliverAttempts {
		return false
	}
	if len(r.asked) > 10000 {
		clear(r.asked)
	}
	r.asked[guid]++
	return true
}

// hookCursor is the newest delivery id examined.
type hookCursor struct {
	LastID int64 `json:"last_id"`
}

// redeliverOrWarn runs redeliverFailed. Its trouble is a warning, logged
// with the fix and counted, never a failed poll: redelivery only speeds up
// what the poll reconciles anyway, so key results must not go stale over it.
func (s *Source) redeliverOrWarn(ctx context.Context, scope string, hookID int64) {
	err := s.redeliverFailed(ctx, scope, hookID)
	if err == nil || ctx.Err() != nil {
		return
	}
	s.warn("redelivery")
	s.log.Warn("github: cannot check webhook deliveries (the poll reconciles what they miss)",
		"scope", scope, "hook_id", hookID, "err", err, "fix", redeliveryFix(scope))
}

// redeliveryFix is what a token needs to list and redeliver the deliveries
// of scope.
func redeliveryFix(scope string) string {
	switch {
	case scope == appScope:
		return "the GitHub App's own webhook is read with the App's JWT: check [github.app] id and private_key, and that the App has a webhook"
	case strings.HasPrefix(scope, "org:"):
		return "give the token the admin:org_hook scope (classic) or Webhooks read/write on the organization (fine-grained, App), or remove hook_id"
	}
	return "give the token the admin:repo_hook scope (classic) or Webhooks read/write on the repository (fine-grained, App), or remove hook_id"
}

// redeliverFailed lists a webhook's deliveries since the cursor (the newest
// page on the first run) and asks GitHub to redeliver the ones that failed
// with a retryable answer (no answer, 408, 429, 5xx) and never succeeded,
// since GitHub does not retry on its own. scope is "owner/repo",
// "org:<org>" or appScope (hookID 0). Whatever is still missing is reconciled by the poller.
func (s *Source) redeliverFailed(ctx context.Context, scope string, hookID int64) error {
	key := fmt.Sprintf("hook:%s:%d", scope, hookID)
	var cur hookCursor
	if err := s.loadJSON(ctx, key, &cur); err != nil {
		return err
	}
	rows, err := s.listDeliveries(ctx, scope, hookID, cur.LastID)
	if err != nil {
		return err
	}
	ok := map[string]bool{}
	next := cur
	for _, d := range rows {
		next.LastID = max(next.LastID, d.GetID())
		if code := d.GetStatusCode(); code >= 200 && code < 300 {
			ok[d.GetGUID()] = true
		}
	}
	var errs []error
	for _, d := range rows { // newest first
		guid := d.GetGUID()
		if ok[guid] || !retryable(d.GetStatusCode()) || !slices.Contains(consumedEvents, d.GetEvent()) ||
			s.now().Sub(d.GetDeliveredAt().Time) > redeliverWindow || !s.retries.take(guid) {
			continue
		}
		ok[guid] = true // one request per GUID per pass
		if err := s.redeliver(ctx, scope, hookID, d.GetID()); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if next.LastID == cur.LastID {
		return nil
	}
	return s.saveJSON(ctx, key, next)
}

func retryable(code int) bool {
	return code == 0 || code == 408 || code == 429 || code >= 500
}

// listDeliveries reads deliveries newest first until one at or below lastID.
func (s *Source) listDeliveries(ctx context.Context, scope string, hookID, lastID int64) ([]*gh.HookDelivery, error) {
	var out []*gh.HookDelivery
	opt := &gh.ListCursorOptions{PerPage: 100}
	for range 50 {
		page, resp, err := s.deliveriesPage(ctx, scope, hookID, opt)
		if err != nil {
			return nil, fmt.Errorf("hook %d deliveries: %w", hookID, err)
		}
		for _, d := range page {
			if d.GetID() <= lastID {
				return out, nil
			}
			out = append(out, d)
		}
		if lastID == 0 || resp.Cursor == "" {
			break
		}
		opt.Cursor = resp.Cursor
	}
	return out, nil
}

// deliveriesPage reads one page of the deliveries of scope's webhook.
func (s *Source) deliveriesPage(ctx context.Context, scope string, hookID int64, opt *gh.ListCursorOptions) ([]*gh.HookDelivery, *gh.Response, error) {
	if scope == appScope {
		api, err := s.client.AppAPI()
		if err != nil {
			return nil, nil, err
		}
		return api.Apps.ListHookDeliveries(ctx, opt)
	}
	if org, isOrg := strings.CutPrefix(scope, "org:"); isOrg {
		return s.api.Organizations.ListHookDeliveries(ctx, org, hookID, opt)
	}
	owner, name, _ := strings.Cut(scope, "/")
	return s.api.Repositories.ListHookDeliveries(ctx, owner, name, hookID, opt)
}

// redeliver asks for one redelivery; GitHub answers 202, which go-github
// reports as *AcceptedError.
func (s *Source) redeliver(ctx context.Context, scope string, hookID, deliveryID int64) error {
	var err error
	switch org, isOrg := strings.CutPrefix(scope, "org:"); {
	case scope == appScope:
		var api *gh.Client
		if api, err = s.client.AppAPI(); err == nil {
			_, _, err = api.Apps.RedeliverHookDelivery(ctx, deliveryID)
		}
	case isOrg:
		_, _, err = s.api.Organizations.RedeliverHookDelivery(ctx, org, hookID, deliveryID)
	default:
		owner, name, _ := strings.Cut(scope, "/")
		_, _, err = s.api.Repositories.RedeliverHookDelivery(ctx, owner, name, hookID, deliveryID)
	}
	var accepted *gh.AcceptedError
	if err != nil && !errors.As(err, &accepted) {
		return fmt.Errorf("redeliver %d: %w", deliveryID, err)
	}
	s.log.Info("asked GitHub to redeliver a failed webhook delivery", "scope", scope, "delivery", deliveryID)
	return nil
}
