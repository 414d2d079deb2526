package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/internal/hook"
)

// maxWebhookBody is GitHub's own cap: larger payloads are never delivered.
const maxWebhookBody = 25 << 20

// webhookBudget bounds the work for one delivery: GitHub records a delivery
// as failed when the answer takes more than 10 seconds.
const webhookBudget = 8 * time.Second

// Webhook receives GitHub webhook deliveries at /webhooks/github. It checks
// X-Hub-Signature-256 over the raw body in constant time (401 otherwise,
// nothing stored), answers 400 to a body that is not JSON, 413 when the
// server's body limit cut the body, and 2xx only after every event of the
// delivery was published (5xx when publishing failed, so the delivery shows
// as failed and is redelivered). Unknown and uninteresting events get 2xx
// and produce nothing, as do events of repositories the configuration does
// not select. X-GitHub-Delivery (kept on redelivery) dedupes
// deliveries already handled; event ids dedupe the rest.
type Webhook struct {
	secret []byte
	pub    connector.Publisher
	log    *slog.Logger
	cfg    *Config
	src    *Source
	recent *hook.Recent
	budget time.Duration
}

// WebhookOption adjusts a Webhook.
type WebhookOption func(*Webhook)

// WithSource shares the poller's attribution (and its API client, cursor
// store and PR index) with the webhook. Without it the webhook publishes
// pull request, release and failed-deploy events, but leaves successful
// production deploys to the poller, which is the only one able to
// attribute them.
func WithSource(src *Source) WebhookOption { return func(h *Webhook) { h.src = src } }

// NewWebhook builds the handler. It fails when webhook_secret is empty:
// go-github would accept unsigned payloads then, goalpost refuses to.
func NewWebhook(cfg *Config, pub connector.Publisher, log *slog.Logger, opts ...WebhookOption) (*Webhook, error) {
	if cfg == nil || !cfg.WebhookSecret.IsSet() {
		return nil, errors.New("github webhook: webhook_secret is required")
	}
	if pub == nil {
		return nil, errors.New("github webhook: a publisher is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Webhook{
		secret: []byte(cfg.WebhookSecret.Reveal()), pub: pub, log: log, cfg: cfg,
		recent: hook.NewRecent(10000), budget: webhookBudget,
	}
	for _, o := range opts {
		o(h)
	}
	return h, nil
}

// errBadPayload marks a payload that does not decode (400).
var errBadPayload = errors.New("bad payload")

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := hook.ReadBody(w, r, maxWebhookBody)
	if !ok {
		return
	}
	if !validSignature(h.secret, body, r.Header.Get("X-Hub-Signature-256")) {
		h.log.Debug("github webhook: bad signature", "delivery", r.Header.Get("X-GitHub-Delivery"))
		reply(w, http.StatusUnauthorized, "bad signature")
		return
	}
	payload, err := jsonPayload(r.Header.Get("Content-Type"), body)
	if err != nil {
		reply(w, http.StatusBadRequest, err.Error())
		return
	}
	delivery := r.Header.Get("X-GitHub-Delivery")
	if delivery != "" && h.recent.Has(delivery) {
		reply(w, http.StatusOK, "duplicate delivery")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.budget)
	defer cancel()
	n, err := h.handle(ctx, r.Header.Get("X-GitHub-Event"), payload)
	switch {
	case errors.Is(err, errBadPayload):
		reply(w, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		h.log.Warn("github webhook: not stored", "delivery", delivery, "err", err)
		reply(w, http.StatusServiceUnavailable, "not stored, retry")
		return
	}
	if delivery != "" {
		h.recent.Add(delivery)
	}
	reply(w, http.StatusOK, fmt.Sprintf("ok, %d events", n))
}

// handle publishes the delivery's events and returns how many.
func (h *Webhook) handle(ctx context.Context, kind string, payload []byte) (int, error) {
	res, err := translate(h.cfg, kind, payload)
	if err != nil {
		return 0, err
	}
	if res.repo != nil && res.repo.GetFullName() != "" && !h.cfg.tracks(res.repo.GetFullName()) {
		return 0, nil // a repository the configuration does not select (an organization hook sends them all)
	}
	if h.src != nil {
		h.src.learn(res.repo, res.merged)
	}
	if len(res.events) > 0 {
		if err := h.pub.Publish(ctx, res.events...); err != nil {
			return 0, fmt.Errorf("publish: %w", err)
		}
	}
	n := len(res.events)
	for _, d := range res.deploys {
		if !d.Succeeded {
			err = h.pub.Publish(ctx, d.Event())
		} else if h.src != nil {
			err = h.src.attribute(ctx, d)
		} else {
			continue // the poller attributes it
		}
		if err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// validSignature checks "sha256=<hex HMAC-SHA256(secret, body)>".
func validSignature(secret, body []byte, header string) bool {
	return hook.VerifyPrefixed(secret, body, header)
}

// jsonPayload returns the JSON document of a delivery: the body, or its
// "payload" form field for application/x-www-form-urlencoded hooks.
func jsonPayload(contentType string, body []byte) ([]byte, error) {
	payload := body
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("malformed form body: %w", err)
		}
		payload = []byte(form.Get("payload"))
	}
	if !json.Valid(payload) {
		return nil, errors.New("body is not JSON")
	}
	return payload, nil
}

func reply(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": msg})
}

var _ http.Handler = (*Webhook)(nil)
