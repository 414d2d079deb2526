package trello

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/internal/hook"
)

const maxWebhookBody = 4 << 20

// webhookBudget bounds reading the card and storing the event: past it the
// receiver answers 503 (Trello retries) rather than hanging while the
// stream is down.
const webhookBudget = 8 * time.Second

// Webhook receives Trello webhooks at /webhooks/trello. Trello checks the
// callback URL with a HEAD before creating a webhook (answered 200); each
// delivery is one action, signed with X-Trello-Webhook: base64 of
// HMAC-SHA1 under the app's secret of the raw body followed by the
// callback URL exactly as registered. The action is mapped as the poller
// maps it (same event ID: the action's id), with labels and members from a
// read of the card.
type Webhook struct {
	secret   []byte
	callback string
	client   *Client
	pub      connector.Publisher
	log      *slog.Logger
	m        mapper
}

// NewWebhook returns the receiver; client reads cards (pass the Source's).
// It fails without secret and callback_url. It does no I/O.
func NewWebhook(cfg *Config, client *Client, pub connector.Publisher, log *slog.Logger) (*Webhook, error) {
	if cfg == nil || client == nil || pub == nil || log == nil {
		return nil, errors.New("trello webhook: config, client, publisher and logger are required")
	}
	if !cfg.Secret.IsSet() || cfg.CallbackURL == "" {
		return nil, errors.New("trello webhook: secret and callback_url are required")
	}
	return &Webhook{secret: []byte(cfg.Secret.Reveal()), callback: cfg.CallbackURL, client: client, pub: pub, log: log, m: mapper{s: cfg.settings()}}, nil
}

// Sign is the X-Trello-Webhook value of body delivered to callbackURL.
func Sign(secret, body []byte, callbackURL string) string {
	mac := hmac.New(sha1.New, secret)
	mac.Write(body)
	mac.Write([]byte(callbackURL))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ServeHTTP answers HEAD 200 (Trello's check); POST 200 when stored or
// ignored, 400 malformed, 401 unsigned or forged, 413 too large, 503 when
// the card could not be read or the event not stored within webhookBudget
// (Trello retries).
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		rw.WriteHeader(http.StatusOK)
		return
	}
	body, ok := hook.ReadBody(rw, r, maxWebhookBody)
	if !ok {
		return
	}
	got, err := base64.StdEncoding.DecodeString(r.Header.Get("X-Trello-Webhook"))
	want, _ := base64.StdEncoding.DecodeString(Sign(w.secret, body, w.callback))
	if err != nil || !hmac.Equal(got, want) {
		http.Error(rw, "bad signature", http.StatusUnauthorized)
		return
	}
	a, err := parseDelivery(body)
	if err != nil {
		http.Error(rw, "malformed JSON", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), webhookBudget)
	defer cancel()
	if err := w.handle(ctx, a); err != nil {
		w.log.Warn("trello webhook: not stored", "action", a.ID, "err", err)
		http.Error(rw, "not stored, retry", http.StatusServiceUnavailable)
		return
	}
	rw.WriteHeader(http.StatusOK)
}

func parseDelivery(body []byte) (*action, error) {
	var d struct {
		Action *action `json:"action"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, err
	}
	if d.Action == nil {
		return nil, errors.New("no action")
	}
	return d.Action, nil
}

func (w *Webhook) handle(ctx context.Context, a *action) error {
	if _, ok := w.m.event(a, nil); !ok {
		return nil // not a card state change on a configured board
	}
	var c *card
	if a.Type != "deleteCard" {
		var got card
		err := w.client.Get(ctx, "/cards/"+url.PathEscape(a.cardID()), cardQuery(), &got)
		switch {
		case err == nil:
			c = &got
		case !IsStatus(err, http.StatusNotFound):
			return err
		}
	}
	ev, _ := w.m.event(a, c)
	return w.pub.Publish(ctx, ev)
}

// Create registers a Trello webhook on board delivering to the callback
// URL. Trello sends a HEAD to it first and creates nothing unless it gets
// 200, so the server must be serving.
func (w *Webhook) Create(ctx context.Context, board string) error {
	return w.client.Post(ctx, "/webhooks", map[string]any{"callbackURL": w.callback, "idModel": board, "description": "goalpost"}, nil)
}
