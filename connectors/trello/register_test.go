package trello_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/connectors/trello"
	"github.com/goalpost/goalpost/internal/transport"
)

// Register creates the board's webhook after Trello's HEAD check; a second
// start finds it in the token's webhooks and creates nothing.
func TestRegisterCreatesOnlyTheMissingWebhook(t *testing.T) {
	h := newHarness(t)
	for i, want := range []int{1, 0} {
		if n, err := h.hook.Register(t.Context()); err != nil || n != want {
			t.Fatalf("start %d: created %d, %v; want %d", i+1, n, err, want)
		}
	}
	if hs := h.fake.Webhooks(); len(hs) != 1 || hs[0] != [2]string{boardID, h.cfg.CallbackURL} {
		t.Fatalf("webhooks = %v", hs)
	}
	if n := h.fake.Requests("POST /webhooks"); n != 1 {
		t.Fatalf("POST /webhooks = %d, want 1", n)
	}
}

// A webhook Trello disabled (30 days of failed deliveries) is turned on
// again by the next round, not created twice; an active one is left alone.
func TestRegisterReenablesADisabledWebhook(t *testing.T) {
	h := newHarness(t)
	if n, err := h.hook.Register(t.Context()); err != nil || n != 1 {
		t.Fatalf("first start: %d, %v", n, err)
	}
	h.fake.DisableWebhooks()
	_, a := h.fake.AddCard(boardID, h.lists[0], "Card", nil, nil)
	if codes, err := h.fake.Deliver(t.Context(), a); err != nil || len(codes) != 0 {
		t.Fatalf("disabled: delivered %v, %v; want nothing", codes, err)
	}
	for i, want := range []int{1, 0} {
		if n, err := h.hook.Register(t.Context()); err != nil || n != want {
			t.Fatalf("round %d: %d, %v; want %d", i+1, n, err, want)
		}
	}
	if codes, err := h.fake.Deliver(t.Context(), a); err != nil || !slices.Equal(codes, []int{200}) {
		t.Fatalf("re-enabled: delivered %v, %v; want one 200", codes, err)
	}
	if n := h.fake.Requests("POST /webhooks"); n != 1 || len(h.fake.Webhooks()) != 1 {
		t.Fatalf("POST /webhooks = %d, webhooks %v; want one, re-enabled rather than created again", n, h.fake.Webhooks())
	}
}

// A callback URL that does not answer Trello's HEAD with 200 fails with an
// error naming the board and the URL; a failed listing never shows the
// token that is in its path.
func TestRegisterFailuresNameTheURLNotTheToken(t *testing.T) {
	h := newHarness(t)
	wrong := httptest.NewServer(http.NotFoundHandler())
	defer wrong.Close()
	cfg := *h.cfg
	cfg.CallbackURL = wrong.URL + "/webhooks/trello"
	hook, err := trello.NewWebhook(&cfg, h.src.Client(), h.pub, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	n, err := hook.Register(t.Context())
	if err == nil || n != 0 || len(h.fake.Webhooks()) != 0 || !strings.Contains(err.Error(), cfg.CallbackURL) || !strings.Contains(err.Error(), boardID) {
		t.Fatalf("register: %d %v; want an error naming %s and the board", n, err, cfg.CallbackURL)
	}

	down := trello.NewClient("http://127.0.0.1:1", key, token, 0, trello.WithTransportOptions(transport.Options{MaxAttempts: 1}))
	hook, err = trello.NewWebhook(h.cfg, down, h.pub, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hook.Register(t.Context()); err == nil || strings.Contains(err.Error(), string(token)) || strings.Contains(err.Error(), string(key)) {
		t.Fatalf("list error %v: want an error without the key or token", err)
	}
}
