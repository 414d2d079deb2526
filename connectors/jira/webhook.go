package jira

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/internal/hook"
	"github.com/goalpost/goalpost/pipeline/event"
)

// maxWebhookBody caps a delivery even when the server sets no limit.
const maxWebhookBody = 16 << 20

// StatusCategories resolves a status id to its category (the poller's
// *Source implements it from the status list it reads).
type StatusCategories interface {
	StatusCategory(id string) (string, bool)
}

// WebhookOption configures the webhook handler.
type WebhookOption func(*Webhook)

// FlagFields tells the webhook the Flagged field's id (the poller's
// *Source resolves it by name at start); "" when unknown.
type FlagFields interface {
	FlagField() string
}

// WithFlagField makes the webhook read the Flagged field the poller
// resolved; without it, only a configured blocked.flag_field id is read
// (and a changelog item named Flagged).
func WithFlagField(ff FlagFields) WebhookOption {
	return func(w *Webhook) { w.flags = ff }
}

// WithStatusCategories lets the webhook classify a transition by the
// category of the status it left; without it the change's resolution,
// statuscategorychangedate and event type decide.
func WithStatusCategories(sc StatusCategories) WebhookOption {
	return func(w *Webhook) { w.statuses = sc }
}

// Webhook receives Jira admin webhooks at /webhooks/jira.
type Webhook struct {
	secret   []byte
	pub      connector.Publisher
	log      *slog.Logger
	cfg      Config
	statuses StatusCategories
	flags    FlagFields
}

// mapper maps with the Flagged field the poller resolved, else the
// configured id.
func (w *Webhook) mapper() mapper {
	flag := w.cfg.Blocked.FlagField
	if w.flags != nil {
		if f := w.flags.FlagField(); f != "" {
			flag = f
		}
	}
	if flag == "-" {
		flag = ""
	}
	return mapper{cfg: &w.cfg, flag: flag}
}

// NewWebhook returns the handler. It fails when webhook_secret is empty:
// unsigned deliveries are never accepted.
func NewWebhook(cfg *Config, pub connector.Publisher, log *slog.Logger, opts ...WebhookOption) (http.Handler, error) {
	if cfg == nil || pub == nil || log == nil {
		return nil, errors.New("jira webhook: config, publisher and logger are required")
	}
	if !cfg.WebhookSecret.IsSet() {
		return nil, errors.New("jira webhook: webhook_secret is required")
	}
	w := &Webhook{secret: []byte(cfg.WebhookSecret.Reveal()), pub: pub, log: log, cfg: cfg.withDefaults()}
	for _, o := range opts {
		o(w)
	}
	return w, nil
}

type webhookPayload struct {
	Timestamp    int64     `json:"timestamp"`
	WebhookEvent string    `json:"webhookEvent"`
	EventType    string    `json:"issue_event_type_name"`
	User         *apiUser  `json:"user"`
	Issue        *apiIssue `json:"issue"`
	Changelog    *struct {
		ID    string    `json:"id"`
		Items []apiItem `json:"items"`
	} `json:"changelog"`
}

// ServeHTTP verifies X-Hub-Signature (sha256 HMAC of the raw body, constant
// time) and publishes the delivery's events before answering 200. Bad
// signature 401, malformed JSON 400, oversized body 413, publish failure or
// no answer from the stream within hook.Deadline 503 (Jira retries; the
// retry gives the same event IDs, so it counts once). An event that can
// never be stored is dead-lettered by the publisher, not answered 5xx.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var p webhookPayload
	verify := func(body []byte) bool { return validSignature(w.secret, r.Header.Get("X-Hub-Signature"), body) }
	if !hook.ReadJSON(rw, r, maxWebhookBody, verify, &p) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), hook.Deadline)
	defer cancel()
	hook.Publish(ctx, rw, w.pub, w.events(&p), w.log, "jira", r.Header.Get("X-Atlassian-Webhook-Identifier"))
}

// validSignature checks "sha256=<hex HMAC-SHA256(secret, body)>".
func validSignature(secret []byte, header string, body []byte) bool {
	return hook.VerifyPrefixed(secret, body, header)
}

// events maps issue_created, issue_updated and issue_deleted deliveries;
// every other delivery (comments, worklogs, projects) is ignored.
func (w *Webhook) events(p *webhookPayload) []event.Event {
	if p.WebhookEvent == "jira:issue_deleted" {
		return w.deleted(p)
	}
	created := p.WebhookEvent == "jira:issue_created"
	if (!created && p.WebhookEvent != "jira:issue_updated") || p.Issue == nil || p.Issue.ID == "" || p.Issue.Key == "" {
		return nil
	}
	m := w.mapper()
	st := m.state(p.Issue)
	var hs []apiHistory
	if p.Changelog != nil && p.Changelog.ID != "" {
		at := st.Updated
		if at.IsZero() && p.Timestamp > 0 {
			at = timeMillis(p.Timestamp)
		}
		hs = []apiHistory{{ID: p.Changelog.ID, Author: p.User, Created: jiraTime{at}, Items: p.Changelog.Items}}
	}
	cat := func(id string) (string, bool) {
		if w.statuses == nil {
			return "", false
		}
		return w.statuses.StatusCategory(id)
	}
	var out []event.Event
	for _, ev := range m.events(st, hs, cat, hints{eventType: p.EventType}) {
		if (ev.Kind == event.KindIssueCreated && !created) || ev.OccurredAt.IsZero() {
			continue
		}
		out = append(out, ev)
	}
	return out
}

// deleted maps an issue_deleted delivery to one issue.deleted event, by the
// user who deleted the issue, at the delivery's timestamp (else the issue's
// last update). Its ID is the issue id alone: a Jira issue id is never
// reused, so a retry gives the same event.
func (w *Webhook) deleted(p *webhookPayload) []event.Event {
	if p.Issue == nil || p.Issue.ID == "" || p.Issue.Key == "" {
		return nil
	}
	m := w.mapper()
	st := m.state(p.Issue)
	at := st.Updated
	if p.Timestamp > 0 {
		at = timeMillis(p.Timestamp)
	}
	if at.IsZero() {
		return nil
	}
	return []event.Event{st.deleted(at, p.User.handle())}
}
