package asana

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/internal/hook"
	"github.com/goalpost/goalpost/pipeline/event"
)

// maxWebhookBody bounds one delivery.
const maxWebhookBody = 8 << 20

// webhookBudget bounds reading back a delivery's tasks and storing their
// events: Asana waits 10 s for an answer, so past 8 s the receiver answers
// 503 (Asana retries) instead of letting the delivery time out, which also
// covers the stream being down.
const webhookBudget = 8 * time.Second

// SecretStore keeps the signing secret Asana sends once, in a webhook's
// handshake. HookSecret returns "" when none is kept. Both are idempotent.
type SecretStore interface {
	HookSecret(ctx context.Context, source, id string) (string, error)
	SetHookSecret(ctx context.Context, source, id, secret string) error
	DeleteHookSecret(ctx context.Context, source, id string) error
}

// Webhook receives Asana webhooks at /webhooks/asana?resource=<gid>, one
// Asana webhook per watched project (each has its own secret, found by
// the resource parameter of the target URL).
//
// A handshake (X-Hook-Secret, no signature) is answered 200 echoing the
// secret after the secret is stored; it is accepted for a resource that
// has no secret yet, or that Create is registering now (a replacement),
// and refused (403) otherwise, so that nobody can swap the secret of a
// working webhook. A delivery must carry X-Hook-Signature, the hex
// HMAC-SHA256 of the raw body under that secret (else 401). Its events are
// compact: the tasks they name are read back (through the batch API, one
// request per ten distinct tasks) and their events published, so poll and webhook give the same IDs.
type Webhook struct {
	client  *Client
	secrets SecretStore
	pub     connector.Publisher
	log     *slog.Logger
	m       mapper
	target  string // webhook_url: where Register points Asana's webhooks

	mu      sync.Mutex
	pending map[string]bool // resources Create is registering
}

// NewWebhook returns the receiver; client reads the tasks deliveries name
// (pass the Source's). It does no I/O.
func NewWebhook(cfg *Config, client *Client, secrets SecretStore, pub connector.Publisher, log *slog.Logger) (*Webhook, error) {
	if cfg == nil || client == nil || secrets == nil || pub == nil || log == nil {
		return nil, errors.New("asana webhook: config, client, secret store, publisher and logger are required")
	}
	return &Webhook{client: client, secrets: secrets, pub: pub, log: log, m: mapper{s: cfg.settings()},
		target: cfg.WebhookURL, pending: map[string]bool{}}, nil
}

// compactEvent is one event of a delivery (or of the events API).
type compactEvent struct {
	Action   string `json:"action"`
	Resource struct {
		GID          string `json:"gid"`
		ResourceType string `json:"resource_type"`
	} `json:"resource"`
	User      *user     `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	Change    *struct {
		Field string `json:"field"`
	} `json:"change"`
}

type delivery struct {
	Events []compactEvent `json:"events"`
}

// ServeHTTP handles a handshake or a delivery: 200 when stored (or a
// heartbeat), 400 malformed, 401 unsigned or forged, 403 a handshake that
// would replace a secret, 413 too large, 503 when a task could not be read
// or the events not stored within webhookBudget (Asana retries).
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, ok := hook.ReadBody(rw, r, maxWebhookBody)
	if !ok {
		return
	}
	resource := r.URL.Query().Get("resource")
	if !gid.MatchString(resource) {
		http.Error(rw, "target URL must carry ?resource=<gid>", http.StatusBadRequest)
		return
	}
	if s := r.Header.Get("X-Hook-Secret"); s != "" {
		w.handshake(r.Context(), rw, resource, s)
		return
	}
	secret, err := w.secrets.HookSecret(r.Context(), event.SourceAsana, resource)
	if err != nil {
		http.Error(rw, "secret store unavailable", http.StatusServiceUnavailable)
		return
	}
	if secret == "" || !hook.VerifyHex([]byte(secret), body, r.Header.Get("X-Hook-Signature")) {
		http.Error(rw, "bad signature", http.StatusUnauthorized)
		return
	}
	evs, err := parseDelivery(body)
	if err != nil {
		http.Error(rw, "malformed JSON", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), webhookBudget)
	defer cancel()
	out, err := w.events(ctx, evs)
	if err == nil && len(out) > 0 {
		err = w.pub.Publish(ctx, out...)
	}
	if err != nil {
		w.log.Warn("asana webhook: not stored", "resource", resource, "err", err)
		http.Error(rw, "not stored, retry", http.StatusServiceUnavailable)
		return
	}
	rw.WriteHeader(http.StatusOK)
}

func parseDelivery(body []byte) ([]compactEvent, error) {
	var d delivery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, err
	}
	return d.Events, nil
}

func (w *Webhook) handshake(ctx context.Context, rw http.ResponseWriter, resource, secret string) {
	w.mu.Lock()
	replacing := w.pending[resource]
	w.mu.Unlock()
	old, err := w.secrets.HookSecret(ctx, event.SourceAsana, resource)
	if err != nil {
		http.Error(rw, "secret store unavailable", http.StatusServiceUnavailable)
		return
	}
	if old != "" && old != secret && !replacing {
		http.Error(rw, "a webhook for this resource is already registered", http.StatusForbidden)
		return
	}
	if err := w.secrets.SetHookSecret(ctx, event.SourceAsana, resource, secret); err != nil {
		http.Error(rw, "secret not stored, retry", http.StatusServiceUnavailable)
		return
	}
	rw.Header().Set("X-Hook-Secret", secret)
	rw.WriteHeader(http.StatusOK)
}

// events reads back the tasks the compact events name, once each, ten to
// a batch request (fetchTasks), and maps them in order of first mention. A
// task Asana deleted (action "deleted", or 404 on read) gives issue.deleted; a task whose completion changed and is now
// incomplete also gives issue.reopened.
func (w *Webhook) events(ctx context.Context, in []compactEvent) ([]event.Event, error) {
	var order []string
	seen := map[string]*compactEvent{}
	reopen := map[string]bool{}
	for i := range in {
		e := &in[i]
		if e.Resource.ResourceType != "task" || !gid.MatchString(e.Resource.GID) {
			continue
		}
		if _, ok := seen[e.Resource.GID]; !ok {
			order = append(order, e.Resource.GID)
		}
		if seen[e.Resource.GID] == nil || e.Action == "deleted" {
			seen[e.Resource.GID] = e
		}
		if e.Change != nil && e.Change.Field == "completed" {
			reopen[e.Resource.GID] = true
		}
	}
	var read []string
	for _, g := range order {
		if seen[g].Action != "deleted" {
			read = append(read, g)
		}
	}
	tasks, err := w.client.fetchTasks(ctx, read)
	if err != nil {
		return nil, err
	}
	var out []event.Event
	for _, g := range order {
		e := seen[g]
		if e.Action == "deleted" {
			out = append(out, deleted(g, e.CreatedAt, e.User.handle()))
			continue
		}
		t, found := tasks[g]
		if !found {
			out = append(out, deleted(g, e.CreatedAt, e.User.handle()))
			continue
		}
		out = append(out, w.m.events(&t)...)
		if reopen[g] && !t.Completed && !t.ModifiedAt.IsZero() {
			out = append(out, w.m.base(&t, event.KindIssueReopened, "reopened:"+msID(t.ModifiedAt), t.ModifiedAt, t.Assignee.handle()))
		}
	}
	return out, nil
}

// Create registers an Asana webhook on resource (a project gid) that
// delivers to target (this receiver's public URL; "?resource=<gid>" is
// added). Asana's create call blocks until the handshake reaches this
// receiver, so the server must be serving. A handshake during Create may
// replace the resource's stored secret.
func (w *Webhook) Create(ctx context.Context, resource, target string) error {
	u, err := targetFor(target, resource)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.pending[resource] = true
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.pending, resource)
		w.mu.Unlock()
	}()
	body := map[string]any{"resource": resource, "target": u, "filters": []map[string]any{
		{"resource_type": "task", "action": "changed"}, {"resource_type": "task", "action": "added"},
		{"resource_type": "task", "action": "removed"}, {"resource_type": "task", "action": "deleted"},
		{"resource_type": "task", "action": "undeleted"},
	}}
	return w.client.Post(ctx, "/webhooks", body, nil)
}

// targetFor is target with ?resource=<gid>, the URL Asana posts to.
func targetFor(target, resource string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("resource", resource)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
