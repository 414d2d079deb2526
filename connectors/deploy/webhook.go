package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/internal/hook"
)

// SignatureHeader carries "sha256=" + hex(HMAC-SHA256(secret, body)).
const SignatureHeader = "X-Goalpost-Signature-256"

// budget bounds the work for one document (attribution may call GitHub).
// It stays below the HTTP server's write timeout (10 s by default), past
// which the answer could not be written at all: the CI gets 503 and
// retries, which is safe (the event id is the document's).
const budget = 8 * time.Second

// maxSkew is how far in the future a document's finished_at may be (CI
// clocks drift). Attribution orders deploys by finish time: a later one
// would make every real deploy until then look out of order.
const maxSkew = 5 * time.Minute

// Attributor attributes a finished production deploy to the changes it
// shipped and publishes its events (*attribution.Attributor of the code
// host the repositories live on). It blocks while calling the host, is
// idempotent per deploy, and returns nil only after the events were
// published.
type Attributor interface {
	Publish(ctx context.Context, d attribution.Deploy) error
}

// Webhook receives deploy documents. It answers 401 to a bad or missing
// signature (storing nothing), 400 to a malformed or invalid document (a
// finished_at more than a few minutes in the future included), 413
// when the server's body limit cut the body, 200 once the deploy's events
// are published (or when the document is acknowledged but ignored: not a
// production environment, not finished) and 503 when publishing failed.
type Webhook struct {
	cfg    *Config
	secret []byte
	pub    connector.Publisher
	att    Attributor
	log    *slog.Logger
}

// Option adjusts a Webhook.
type Option func(*Webhook)

// WithAttributor attributes documents to the changes they shipped through
// a (a code host's attribution). Without it deploys are published with
// nothing in Shipped.
func WithAttributor(a Attributor) Option { return func(w *Webhook) { w.att = a } }

// NewWebhook builds the handler; it fails without a secret.
func NewWebhook(cfg *Config, pub connector.Publisher, log *slog.Logger, opts ...Option) (*Webhook, error) {
	if cfg == nil || !cfg.Secret.IsSet() {
		return nil, errors.New("deploy webhook: secret is required")
	}
	if pub == nil {
		return nil, errors.New("deploy webhook: a publisher is required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Webhook{cfg: cfg, secret: []byte(cfg.Secret.Reveal()), pub: pub, log: log}
	for _, o := range opts {
		o(w)
	}
	return w, nil
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := hook.ReadBody(w, r, 1<<20)
	if !ok {
		return
	}
	if !Verify(h.secret, body, r.Header.Get(SignatureHeader)) {
		reply(w, http.StatusUnauthorized, "bad signature")
		return
	}
	var doc Document
	if err := json.Unmarshal(body, &doc); err != nil {
		reply(w, http.StatusBadRequest, "malformed JSON: "+err.Error())
		return
	}
	if err := doc.Validate(); err != nil {
		reply(w, http.StatusBadRequest, strings.ReplaceAll(err.Error(), "\n", "; "))
		return
	}
	if doc.finished() && doc.FinishedAt.After(time.Now().Add(maxSkew)) {
		reply(w, http.StatusBadRequest, "finished_at: in the future ("+doc.FinishedAt.UTC().Format(time.RFC3339)+")")
		return
	}
	if !doc.finished() || !h.cfg.isProduction(doc.Environment) {
		reply(w, http.StatusOK, "ignored: not a finished production deploy")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), budget)
	defer cancel()
	d := doc.deploy()
	if err := h.publish(ctx, d); err != nil {
		h.log.Warn("deploy webhook: not stored", "repo", d.Repo, "deploy", d.Key, "err", err)
		reply(w, http.StatusServiceUnavailable, "not stored, retry")
		return
	}
	reply(w, http.StatusOK, "ok: "+d.EventID())
}

func (h *Webhook) publish(ctx context.Context, d attribution.Deploy) error {
	if h.att != nil {
		return h.att.Publish(ctx, d)
	}
	if err := h.pub.Publish(ctx, d.Event()); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}

// Verify checks a signature header against the body in constant time.
func Verify(secret, body []byte, header string) bool {
	return hook.VerifyPrefixed(secret, body, header)
}

func reply(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": msg})
}

var _ http.Handler = (*Webhook)(nil)
