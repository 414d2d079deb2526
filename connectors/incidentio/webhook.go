package incidentio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/incident"
	"github.com/goalpost/goalpost/connectors/internal/hook"
)

const (
	maxWebhookBody = 4 << 20
	webhookBudget  = 8 * time.Second // below the HTTP server's write timeout (10 s by default)
)

// Webhook receives incident.io webhooks at /webhooks/incidentio, signed the
// Svix way: webhook-signature holds "v1,<base64 HMAC-SHA256>" entries
// (several during rotation) over "{webhook-id}.{webhook-timestamp}.{body}";
// a missing, forged or stale (more than 5 minutes off) signature gets 401,
// nothing stored. Incident created, updated and status-updated events
// publish the incident's facts; private incidents, whose payload is only an
// id, are read from the API. A body that is not an incident.io event gets
// 400; 503 when the API read or publishing failed (incident.io retries for
// 24 hours). webhook-id (the same on resends) dedupes deliveries.
type Webhook struct {
	key      []byte
	cfg      *Config
	services *incident.Config
	client   *Client
	pub      connector.Publisher
	log      *slog.Logger
	now      func() time.Time
	recent   *hook.Recent
}

// NewWebhook builds the handler; it fails without a valid webhook_secret.
func NewWebhook(cfg *Config, services *incident.Config, client *Client, pub connector.Publisher, log *slog.Logger, now func() time.Time) (*Webhook, error) {
	if cfg == nil || !cfg.WebhookSecret.IsSet() || client == nil || pub == nil {
		return nil, errors.New("incident.io webhook: webhook_secret, a client and a publisher are required")
	}
	key, err := signingKey(cfg.WebhookSecret.Reveal())
	if err != nil {
		return nil, errors.New("incident.io webhook: webhook_secret is not a whsec_ signing secret")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Webhook{key: key, cfg: cfg, services: services, client: client, pub: pub, log: log, now: now,
		recent: hook.NewRecent(10000)}, nil
}

// header reads a Svix header under its webhook-* or svix-* name.
func header(r *http.Request, name string) string {
	if v := r.Header.Get("webhook-" + name); v != "" {
		return v
	}
	return r.Header.Get("svix-" + name)
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := hook.ReadBody(w, r, maxWebhookBody)
	if !ok {
		return
	}
	id := header(r, "id")
	if !hook.VerifyStandard(h.key, body, id, header(r, "timestamp"), header(r, "signature"), h.now()) {
		hook.Reply(w, http.StatusUnauthorized, "bad, missing or stale signature")
		return
	}
	if h.recent.Has(id) {
		hook.Reply(w, http.StatusOK, "duplicate delivery")
		return
	}
	in, private, err := parse(body)
	if err != nil {
		hook.Reply(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), webhookBudget)
	defer cancel()
	n, err := h.handle(ctx, in, private)
	if err != nil {
		h.log.Warn("incident.io webhook: not stored", "delivery", id, "err", err)
		hook.Reply(w, http.StatusServiceUnavailable, "not stored, retry")
		return
	}
	h.recent.Add(id)
	hook.Reply(w, http.StatusOK, fmt.Sprintf("ok, %d events", n))
}

var errBadPayload = errors.New("bad payload")

// parse decodes a webhook body: the incident it carries (nil for events
// goalpost does not use), and whether it is a private incident's id only.
func parse(body []byte) (*apiIncident, bool, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, false, fmt.Errorf("%w: %v", errBadPayload, err)
	}
	var kind string
	if err := json.Unmarshal(env["event_type"], &kind); err != nil || kind == "" {
		return nil, false, fmt.Errorf("%w: no event_type", errBadPayload)
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(kind, "public_incident."), "private_incident."), "_v")
	switch name {
	case "incident_created", "incident_updated", "incident_status_updated":
	default:
		return nil, false, nil // follow-ups, actions, post-mortems: nothing goalpost counts
	}
	raw := env[kind]
	var wrapped struct {
		Incident *apiIncident `json:"incident"`
	}
	var in apiIncident
	switch {
	case json.Unmarshal(raw, &wrapped) == nil && wrapped.Incident != nil:
		in = *wrapped.Incident
	case json.Unmarshal(raw, &in) != nil:
		return nil, false, fmt.Errorf("%w: %s payload is not an incident", errBadPayload, kind)
	}
	if in.ID == "" {
		return nil, false, fmt.Errorf("%w: incident without id", errBadPayload)
	}
	return &in, strings.HasPrefix(kind, "private_incident."), nil
}

// handle publishes the incident's facts (read from the API for a private
// incident) and returns how many.
func (h *Webhook) handle(ctx context.Context, in *apiIncident, private bool) (int, error) {
	if in == nil {
		return 0, nil
	}
	if private {
		full, err := h.client.Incident(ctx, in.ID)
		if isNotFound(err) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		in = &full
	}
	if !in.counted() {
		return 0, nil
	}
	evs := h.services.Events(in.model(h.cfg))
	if len(evs) == 0 {
		return 0, nil
	}
	if err := h.pub.Publish(ctx, evs...); err != nil {
		return 0, fmt.Errorf("publish: %w", err)
	}
	return len(evs), nil
}

var _ http.Handler = (*Webhook)(nil)
