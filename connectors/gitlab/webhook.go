package gitlab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/internal/hook"
)

// maxWebhookBody bounds one delivery (GitLab's own payloads stay far below).
const maxWebhookBody = 25 << 20

// webhookBudget bounds the work for one delivery: GitLab gives up after
// 10 seconds and counts that against the hook.
const webhookBudget = 8 * time.Second

// Webhook receives GitLab webhook deliveries at /webhooks/gitlab: Merge
// Request, Deployment and Pipeline hooks (others get 200 and produce
// nothing). X-Gitlab-Token must equal webhook_secret (compared in constant
// time; it is a shared token, not a signature): 401 otherwise, nothing
// stored. A body that is not a GitLab payload gets 400, an oversized one 413:
// GitLab disables a hook after repeated failures and never resends on its
// own, so nothing that can never succeed is answered 5xx. 503 means the
// events could not be stored (or a deploy could not be attributed) now;
// the poller reads the same facts again, with the same ids. Idempotency-Key
// (kept on retries and manual resends; X-Gitlab-Event-UUID on older
// versions) dedupes deliveries already handled.
//
// With signing_token set, a delivery must also carry GitLab's signature
// (webhook-id, webhook-timestamp within five minutes, webhook-signature:
// "v1,<base64 HMAC-SHA256 of id.timestamp.body>", the Standard Webhooks
// scheme): 401 otherwise. GitLab versions without signing tokens never
// send it, so it is opt-in.
type Webhook struct {
	secret string
	key    []byte // the signing token's key; nil when none is configured
	now    func() time.Time
	pub    connector.Publisher
	log    *slog.Logger
	cfg    *Config
	src    *Source
	recent *hook.Recent
	budget time.Duration
}

// WebhookOption adjusts a Webhook.
type WebhookOption func(*Webhook)

// WithSource shares the poller's attribution and API client: successful
// production deploys are attributed at once, and merged merge requests are
// read in full (the payload lacks the author when someone else merged).
// Without it those are left to the poller.
func WithSource(src *Source) WebhookOption { return func(h *Webhook) { h.src = src } }

// WithSignatureClock sets the clock signatures' timestamps are checked against.
func WithSignatureClock(now func() time.Time) WebhookOption { return func(h *Webhook) { h.now = now } }

// NewWebhook builds the handler; it fails when neither webhook_secret nor
// signing_token is set, or the signing token is not one.
func NewWebhook(cfg *Config, pub connector.Publisher, log *slog.Logger, opts ...WebhookOption) (*Webhook, error) {
	if cfg == nil || (!cfg.WebhookSecret.IsSet() && !cfg.SigningToken.IsSet()) {
		return nil, errors.New("gitlab webhook: webhook_secret or signing_token is required")
	}
	var key []byte
	if cfg.SigningToken.IsSet() {
		var err error
		if key, err = hook.StandardKey(cfg.SigningToken.Reveal()); err != nil || len(key) == 0 {
			return nil, errors.New("gitlab webhook: signing_token is not a whsec_ signing token")
		}
	}
	if pub == nil {
		return nil, errors.New("gitlab webhook: a publisher is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Webhook{secret: cfg.WebhookSecret.Reveal(), key: key, now: time.Now, pub: pub, log: log, cfg: cfg, recent: hook.NewRecent(10000), budget: webhookBudget}
	for _, o := range opts {
		o(h)
	}
	return h, nil
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := hook.ReadBody(w, r, maxWebhookBody)
	if !ok {
		return
	}
	if h.secret != "" && !hook.EqualToken(h.secret, r.Header.Get("X-Gitlab-Token")) {
		hook.Reply(w, http.StatusUnauthorized, "bad token")
		return
	}
	if h.key != nil && !hook.VerifyStandard(h.key, body, r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"),
		r.Header.Get("webhook-signature"), h.now()) {
		hook.Reply(w, http.StatusUnauthorized, "bad, missing or stale signature")
		return
	}
	delivery := r.Header.Get("Idempotency-Key")
	if delivery == "" {
		delivery = r.Header.Get("X-Gitlab-Event-UUID")
	}
	if delivery != "" && h.recent.Has(delivery) {
		hook.Reply(w, http.StatusOK, "duplicate delivery")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.budget)
	defer cancel()
	n, err := h.handle(ctx, r.Header.Get("X-Gitlab-Event"), body)
	switch {
	case errors.Is(err, errBadPayload):
		hook.Reply(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		h.log.Warn("gitlab webhook: not stored", "delivery", delivery, "err", err)
		hook.Reply(w, http.StatusServiceUnavailable, "not stored, retry")
		return
	}
	h.recent.Add(delivery)
	hook.Reply(w, http.StatusOK, fmt.Sprintf("ok, %d events", n))
}

// handle publishes the delivery's events and returns how many.
func (h *Webhook) handle(ctx context.Context, kind string, payload []byte) (int, error) {
	res, err := translate(h.cfg, kind, payload)
	if err != nil {
		return 0, err
	}
	if res.project != "" && !h.cfg.tracks(res.project) {
		return 0, nil // a project the configuration does not select (a group hook sends them all)
	}
	h.completeMerged(ctx, &res)
	if len(res.events) > 0 {
		if err := h.pub.Publish(ctx, res.events...); err != nil {
			return 0, fmt.Errorf("publish: %w", err)
		}
	}
	n := len(res.events)
	for _, d := range res.deploys {
		switch {
		case !d.Succeeded:
			err = h.pub.Publish(ctx, d.Event())
		case h.src != nil:
			err = h.src.attribute(ctx, d)
		default:
			continue // the poller attributes it
		}
		if err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// completeMerged replaces a merge payload's merge request with the API's
// full record (author, merged_at, squash commit) and feeds the attribution
// index. When that read fails, or there is no source, the merged events
// are left to the poller rather than published without their author.
func (h *Webhook) completeMerged(ctx context.Context, res *translated) {
	if len(res.merged) == 0 {
		return
	}
	m := res.merged[0]
	full := mrInfo{}
	var err error
	if h.src != nil {
		full, err = h.src.fetchMR(ctx, m.Project, m.IID)
	}
	if h.src == nil || err != nil || !full.merged() {
		h.log.Debug("gitlab webhook: merged merge request left to the poller", "mr", m.unit(), "err", err)
		res.events, res.merged = nil, nil
		return
	}
	h.src.learn(full)
	res.merged = []mrInfo{full}
	res.events = mergedEvents(h.cfg, full, res.defaultBranch)
}

var _ http.Handler = (*Webhook)(nil)
