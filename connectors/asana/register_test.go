package asana_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/goalpost/goalpost/connectors/asana"
	"github.com/goalpost/goalpost/pipeline/event"
)

// registrar is a webhook receiver whose webhook_url is its own server's.
func (h *harness) registrar(t *testing.T) (*asana.Webhook, string) {
	t.Helper()
	var hook *asana.Webhook
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hook.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	cfg := *h.cfg
	cfg.WebhookURL = srv.URL + "/webhooks/asana"
	var err error
	if hook, err = asana.NewWebhook(&cfg, h.src.Client(), h.st, h.pub, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return hook, cfg.WebhookURL + "?resource=1001"
}

// Register creates the project's webhook once (the handshake's secret is
// kept); a second start creates nothing; a webhook Asana deactivated, or
// one whose secret goalpost lost, is replaced.
func TestRegisterCreatesOnlyTheMissingWebhook(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	h.task("a", "To do")
	hook, target := h.registrar(t)
	register := func(want int) {
		t.Helper()
		if n, err := hook.Register(ctx); err != nil || n != want {
			t.Fatalf("register: created %d, %v; want %d", n, err, want)
		}
		hs := h.fake.Webhooks()
		if len(hs) != 1 || hs[0].Target != target || !hs[0].Active {
			t.Fatalf("webhooks = %+v, want one active to %s", hs, target)
		}
		if s, err := h.st.HookSecret(ctx, event.SourceAsana, "1001"); err != nil || s == "" {
			t.Fatalf("secret not kept: %v", err)
		}
	}
	register(1)
	register(0)
	if n := h.fake.Requests("POST /webhooks"); n != 1 {
		t.Fatalf("POST /webhooks = %d, want 1", n)
	}
	h.fake.Deactivate(h.fake.Webhooks()[0].GID)
	register(1)
	if err := h.st.DeleteHookSecret(ctx, event.SourceAsana, "1001"); err != nil {
		t.Fatal(err)
	}
	register(1)
}

// A handshake that does not reach goalpost fails with an error that names
// the target URL and never the secret; no webhook is created.
func TestRegisterHandshakeFailureNamesTheURL(t *testing.T) {
	h := newHarness(t)
	h.task("a", "To do")
	var mu sync.Mutex
	var sent string
	wrong := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sent = r.Header.Get("X-Hook-Secret")
		mu.Unlock()
		http.NotFound(w, r) // a proxy that does not route to goalpost
	}))
	defer wrong.Close()
	cfg := *h.cfg
	cfg.WebhookURL = wrong.URL + "/webhooks/asana"
	hook, err := asana.NewWebhook(&cfg, h.src.Client(), h.st, h.pub, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	n, err := hook.Register(t.Context())
	if err == nil || n != 0 || len(h.fake.Webhooks()) != 0 {
		t.Fatalf("register: %d %v, webhooks %v; want an error and none", n, err, h.fake.Webhooks())
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(err.Error(), wrong.URL+"/webhooks/asana?resource=1001") || sent == "" || strings.Contains(err.Error(), sent) {
		t.Fatalf("error %q: want the target URL, never the handshake secret", err)
	}
}
