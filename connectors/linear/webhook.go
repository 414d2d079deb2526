package linear

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/internal/hook"
	"github.com/goalpost/goalpost/pipeline/event"
)

// Webhook limits.
const (
	maxWebhookBody = 8 << 20
	// ReplayWindow is how far webhookTimestamp may be from now (Linear's SDK
	// rejects more than a minute).
	ReplayWindow = 60 * time.Second
	// lookupTimeout bounds the look-up of an Issue delivery's missing
	// fields, inside Linear's 5 s answer deadline.
	lookupTimeout = 3 * time.Second
)

// Webhook receives Linear webhooks at /webhooks/linear.
type Webhook struct {
	secret []byte
	pub    connector.Publisher
	log    *slog.Logger
	m      issueMapper
	now    func() time.Time
	client *Client
}

// NewWebhook returns the handler. It fails when webhook_secret is empty:
// unsigned deliveries are never accepted. The API key is used to look up
// what an Issue delivery leaves out (see enrich). Options: WithClock,
// WithClientOptions. It does no I/O.
func NewWebhook(cfg *Config, pub connector.Publisher, log *slog.Logger, opts ...Option) (http.Handler, error) {
	if cfg == nil || pub == nil || log == nil {
		return nil, errors.New("linear webhook: config, publisher and logger are required")
	}
	if !cfg.WebhookSecret.IsSet() {
		return nil, errors.New("linear webhook: webhook_secret is required")
	}
	o := sourceOptions{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	return &Webhook{
		secret: []byte(cfg.WebhookSecret.Reveal()), pub: pub, log: log, m: issueMapper{poll: cfg.pollSettings()}, now: o.now,
		client: NewClient(cfg.BaseURL, cfg.APIKey, append([]ClientOption{WithTimeout(lookupTimeout)}, o.client...)...),
	}, nil
}

type webhookPayload struct {
	Action           string                     `json:"action"`
	Type             string                     `json:"type"`
	Data             json.RawMessage            `json:"data"`
	UpdatedFrom      map[string]json.RawMessage `json:"updatedFrom"`
	URL              string                     `json:"url"`
	CreatedAt        time.Time                  `json:"createdAt"` // when the action happened
	Actor            *struct{ ID string }       `json:"actor"`
	WebhookTimestamp int64                      `json:"webhookTimestamp"`
}

func (p *webhookPayload) actor() string {
	if p.Actor == nil {
		return ""
	}
	return p.Actor.ID
}

// ServeHTTP verifies Linear-Signature (hex HMAC-SHA256 of the raw body,
// constant time) and that webhookTimestamp is within a minute of now, then
// publishes the delivery's events and answers exactly 200. Bad signature or
// stale timestamp 401, malformed JSON 400, oversized body 413; a failed
// issue look-up or publish, or no answer within hook.Deadline, 503 (Linear
// retries; the retry gives the same event IDs).
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var p webhookPayload
	verify := func(body []byte) bool { return validSignature(w.secret, r.Header.Get("Linear-Signature"), body) }
	if !hook.ReadJSON(rw, r, maxWebhookBody, verify, &p) {
		return
	}
	if p.WebhookTimestamp == 0 || w.now().Sub(time.UnixMilli(p.WebhookTimestamp)).Abs() > ReplayWindow {
		http.Error(rw, "stale or missing webhookTimestamp", http.StatusUnauthorized)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), hook.Deadline) // look-up and publish
	defer cancel()
	evs, err := w.events(ctx, &p)
	var lookup *lookupError
	switch {
	case errors.As(err, &lookup):
		w.log.Warn("linear webhook: issue look-up failed", "delivery", r.Header.Get("Linear-Delivery"), "err", lookup.err)
		http.Error(rw, "issue look-up failed, retry", http.StatusServiceUnavailable)
		return
	case err != nil:
		http.Error(rw, "malformed data", http.StatusBadRequest)
		return
	}
	hook.Publish(ctx, rw, w.pub, evs, w.log, "linear", r.Header.Get("Linear-Delivery"))
}

// validSignature compares the lowercase hex HMAC-SHA256 of body with the
// header in constant time.
func validSignature(secret []byte, header string, body []byte) bool {
	return hook.VerifyHex(secret, body, header)
}

// events maps Issue and Project create/update deliveries and Issue
// removals; every other delivery (comments, cycles, labels, ...) is ignored.
func (w *Webhook) events(ctx context.Context, p *webhookPayload) ([]event.Event, error) {
	if p.Action == "remove" && p.Type == "Issue" {
		return w.removed(p)
	}
	if p.Action != "create" && p.Action != "update" {
		return nil, nil
	}
	switch p.Type {
	case "Issue":
		var n issueNode
		if err := json.Unmarshal(p.Data, &n); err != nil {
			return nil, err
		}
		if n.URL == "" {
			n.URL = p.URL
		}
		if err := w.enrich(ctx, &n); err != nil {
			return nil, err
		}
		evs := w.m.events(&n)
		if p.Action == "update" {
			evs = dropKind(evs, event.KindIssueCreated)
			if ev, ok := w.reopened(&n, p.UpdatedFrom); ok {
				evs = append(evs, ev)
			}
		}
		return evs, nil
	case "Project":
		var pr polledProject
		if err := json.Unmarshal(p.Data, &pr); err != nil {
			return nil, err
		}
		if pr.URL == "" {
			pr.URL = p.URL
		}
		return pr.events(), nil
	}
	return nil, nil
}

// removed maps an Issue "remove" delivery to an issue.deleted event when
// the issue went to the trash (data.trashed), which is what deleting an
// issue does in Linear. A removal without it is an archive: Linear archives
// closed issues by itself, and an archived issue keeps its place (done) in
// ratio totals, so it is ignored. The deletion happened at data.archivedAt
// (see deletedAt; else the delivery's createdAt, else its
// webhookTimestamp), and the event ID carries that time, as the poller's
// does: an issue restored from the trash and deleted again is a new fact, a
// redelivery is not.
func (w *Webhook) removed(p *webhookPayload) ([]event.Event, error) {
	var n issueNode
	if err := json.Unmarshal(p.Data, &n); err != nil {
		return nil, err
	}
	if !n.Trashed || n.ID == "" || n.key() == "" {
		return nil, nil
	}
	if n.URL == "" {
		n.URL = p.URL
	}
	at := n.deletedAt()
	if at.IsZero() {
		at = p.CreatedAt
	}
	if at.IsZero() {
		at = time.UnixMilli(p.WebhookTimestamp)
	}
	return []event.Event{w.m.deleted(&n, at, p.actor())}, nil
}

// reopened reports a move out of a completed or canceled state: updatedFrom
// holds the old completedAt / canceledAt and the issue has neither now. Only
// webhooks see this; the poller keeps state current through issue.updated.
func (w *Webhook) reopened(n *issueNode, from map[string]json.RawMessage) (event.Event, bool) {
	if n.CompletedAt != nil || n.CanceledAt != nil || n.key() == "" {
		return event.Event{}, false
	}
	was := func(k string) bool { v, ok := from[k]; return ok && string(v) != "null" }
	if !was("completedAt") && !was("canceledAt") {
		return event.Event{}, false
	}
	return w.m.base(n, event.KindIssueReopened, "reopened:"+msID(n.UpdatedAt), n.UpdatedAt, n.assignee()), true
}

func dropKind(evs []event.Event, kind string) []event.Event {
	out := evs[:0]
	for _, ev := range evs {
		if ev.Kind != kind {
			out = append(out, ev)
		}
	}
	return out
}

// lookupError is a failed look-up that may succeed later: the delivery is
// answered 503 so that Linear retries it, and the poll reads the issue
// anyway.
type lookupError struct{ err error }

func (e *lookupError) Error() string { return "linear issue look-up: " + e.err.Error() }

// enrich fills in what an Issue delivery leaves out and the poll reads:
// the parent's identifier (the delivery has only parentId), relations and
// inverse relations (blockers), from the issue as the API has it now. The
// delivery's own version (state, timestamps, labels) is kept, so its event
// ids and facts are those the poll gives for the same version (ADR 13).
// An issue the API no longer finds, or a permanent error (bad key), leaves
// the delivery as it is (logged); a transient failure is a *lookupError.
func (w *Webhook) enrich(ctx context.Context, n *issueNode) error {
	if n.ID == "" {
		return nil
	}
	var out struct {
		Issue *issueNode `json:"issue"`
	}
	err := w.client.Do(ctx, issueQuery, map[string]any{"id": n.ID}, &out)
	var lerr *Error
	switch {
	case errors.As(err, &lerr) && lerr.IsPermanent():
		w.log.Warn("linear webhook: issue not enriched", "issue", n.ID, "err", err)
		return nil
	case err != nil:
		return &lookupError{err: err}
	case out.Issue == nil:
		return nil
	}
	got := out.Issue
	n.Parent, n.Relations, n.InverseRelations = got.Parent, got.Relations, got.InverseRelations
	if n.Identifier == "" {
		n.Identifier = got.Identifier
	}
	if n.Team == nil {
		n.Team = got.Team
	}
	if n.Creator == nil && n.CreatorID == "" {
		n.Creator = got.Creator
	}
	return nil
}
