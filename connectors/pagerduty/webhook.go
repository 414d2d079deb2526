package pagerduty

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
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
	"github.com/goalpost/goalpost/pipeline/event"
)

// maxWebhookBody is PagerDuty's own cap (bigger payloads are dropped).
const maxWebhookBody = 256 << 10

// webhookBudget bounds one delivery: PagerDuty waits 5 seconds.
const webhookBudget = 4 * time.Second

// Webhook receives PagerDuty V3 webhooks at /webhooks/pagerduty. The body
// must carry a matching "v1=<hex HMAC-SHA256>" in X-PagerDuty-Signature
// (any of several during secret rotation): 401 otherwise, nothing stored.
// PagerDuty signs no timestamp, so replays are stopped by dedupe
// (X-Webhook-Id, kept on every attempt; event ids). A body that is not a V3
// event gets 400 (PagerDuty drops it; it would never succeed). incident.
// triggered publishes incident.opened; incident.resolved reads the incident
// (the payload has no creation time) and publishes incident.resolved with
// restore_seconds; 503 when that read or publishing failed (PagerDuty
// retries for 48 hours).
type Webhook struct {
	secret   []byte
	services *incident.Config
	client   *Client
	pub      connector.Publisher
	log      *slog.Logger
	recent   *hook.Recent
}

// NewWebhook builds the handler; it fails without webhook_secret.
func NewWebhook(cfg *Config, services *incident.Config, client *Client, pub connector.Publisher, log *slog.Logger) (*Webhook, error) {
	if cfg == nil || !cfg.WebhookSecret.IsSet() || client == nil || pub == nil {
		return nil, errors.New("pagerduty webhook: webhook_secret, a client and a publisher are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Webhook{secret: []byte(cfg.WebhookSecret.Reveal()), services: services, client: client, pub: pub, log: log,
		recent: hook.NewRecent(10000)}, nil
}

// ValidSignature reports whether any v1= entry of header is the hex
// HMAC-SHA256 of body under secret.
func ValidSignature(secret, body []byte, header string) bool {
	want := hook.Sign(secret, body)
	for _, part := range strings.Split(header, ",") {
		sig, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if got, err := hex.DecodeString(sig); ok && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := hook.ReadBody(w, r, maxWebhookBody)
	if !ok {
		return
	}
	if !ValidSignature(h.secret, body, r.Header.Get("X-PagerDuty-Signature")) {
		hook.Reply(w, http.StatusUnauthorized, "bad signature")
		return
	}
	id := r.Header.Get("X-Webhook-Id")
	if id != "" && h.recent.Has(id) {
		hook.Reply(w, http.StatusOK, "duplicate delivery")
		return
	}
	ev, err := parse(body)
	if err != nil {
		hook.Reply(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), webhookBudget)
	defer cancel()
	n, err := h.handle(ctx, ev)
	if err != nil {
		h.log.Warn("pagerduty webhook: not stored", "delivery", id, "err", err)
		hook.Reply(w, http.StatusServiceUnavailable, "not stored, retry")
		return
	}
	h.recent.Add(id)
	hook.Reply(w, http.StatusAccepted, fmt.Sprintf("ok, %d events", n))
}

// v3Event is a V3 webhook body's event.
type v3Event struct {
	ID         string    `json:"id"`
	Type       string    `json:"event_type"`
	OccurredAt time.Time `json:"occurred_at"`
	Agent      *ref      `json:"agent"`
	Data       struct {
		ID       string `json:"id"`
		Number   int    `json:"number"`
		Status   string `json:"status"`
		Title    string `json:"title"`
		Urgency  string `json:"urgency"`
		HTMLURL  string `json:"html_url"`
		Service  ref    `json:"service"`
		Priority *ref   `json:"priority"`
	} `json:"data"`
}

// errBadPayload marks a body that is not a V3 event.
var errBadPayload = errors.New("bad payload")

// parse decodes a V3 webhook body.
func parse(body []byte) (v3Event, error) {
	var b struct {
		Event *v3Event `json:"event"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return v3Event{}, fmt.Errorf("%w: %v", errBadPayload, err)
	}
	if b.Event == nil || b.Event.Type == "" {
		return v3Event{}, fmt.Errorf("%w: no event", errBadPayload)
	}
	if strings.HasPrefix(b.Event.Type, "incident.") && (b.Event.Data.ID == "" || b.Event.OccurredAt.IsZero()) {
		return v3Event{}, fmt.Errorf("%w: incident event without data.id or occurred_at", errBadPayload)
	}
	return *b.Event, nil
}

// model is the incident the event describes, opened at its occurrence.
func (e v3Event) model() incident.Incident {
	d := e.Data
	in := incident.Incident{
		Source: event.SourcePagerDuty, ID: d.ID, Ref: fmt.Sprint(d.Number), Title: d.Title, URL: d.HTMLURL,
		Service: d.Service.Summary, ServiceID: d.Service.ID, Severity: severity(d.Priority, d.Urgency),
		Status: d.Status, OpenedAt: e.OccurredAt,
	}
	if e.Agent != nil {
		in.Actor = e.Agent.ID
	}
	return in
}

// handle publishes the event's facts and returns how many.
func (h *Webhook) handle(ctx context.Context, e v3Event) (int, error) {
	var evs []event.Event
	switch e.Type {
	case "incident.triggered":
		evs = h.services.Events(e.model())
		evs = evs[:min(len(evs), 1)]
	case "incident.resolved":
		a, err := h.client.Incident(ctx, e.Data.ID)
		if isNotFound(err) {
			return 0, nil // deleted since: nothing to record
		}
		if err != nil {
			return 0, err
		}
		in := a.model()
		if in.ResolvedAt.IsZero() {
			in.ResolvedAt = e.OccurredAt
		}
		evs = h.services.Events(in)
	default:
		return 0, nil // acknowledged, reassigned, …: nothing goalpost counts
	}
	if len(evs) == 0 {
		return 0, nil
	}
	if err := h.pub.Publish(ctx, evs...); err != nil {
		return 0, fmt.Errorf("publish: %w", err)
	}
	return len(evs), nil
}

var _ http.Handler = (*Webhook)(nil)
