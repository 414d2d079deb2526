package trello

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// remoteHook is a webhook as GET /tokens/{token}/webhooks lists it.
type remoteHook struct {
	ID          string `json:"id"`
	IDModel     string `json:"idModel"`
	CallbackURL string `json:"callbackURL"`
	Active      bool   `json:"active"`
}

// Register makes sure every configured board has an active webhook
// delivering to callback_url, and returns how many it created or
// re-enabled (Trello disables a webhook whose deliveries failed for 30
// days, for example while goalpost was down; PUT /webhooks/{id}?active=true
// turns it on again). Trello's webhooks belong
// to the token: it lists them once (GET /tokens/{token}/webhooks) and
// creates the boards' missing ones (Create: Trello's HEAD check must reach
// this receiver, so the server must be serving). A webhook Trello reports
// as existing already (another replica made it meanwhile) counts as there.
// A second call creates nothing. Errors name the board and the callback
// URL, never the key, token or secret.
func (w *Webhook) Register(ctx context.Context) (int, error) {
	var hooks []remoteHook
	if err := w.client.Get(ctx, "/tokens/"+tokenInPath+"/webhooks", nil, &hooks); err != nil {
		return 0, fmt.Errorf("trello: list the token's webhooks: %w", err)
	}
	created := 0
	for _, board := range w.m.s.order {
		i := slices.IndexFunc(hooks, func(h remoteHook) bool { return h.IDModel == board && h.CallbackURL == w.callback })
		if i >= 0 && hooks[i].Active {
			continue
		}
		if i >= 0 {
			if err := w.client.Put(ctx, "/webhooks/"+url.PathEscape(hooks[i].ID), url.Values{"active": {"true"}}, nil); err != nil {
				return created, fmt.Errorf("trello: re-enable the webhook of board %s at %s: %w", board, w.callback, err)
			}
			created++
			continue
		}
		err := w.Create(ctx, board)
		if err != nil && !alreadyExists(err) {
			return created, fmt.Errorf("trello: register the webhook of board %s at %s (Trello's HEAD check must get 200 there): %w", board, w.callback, err)
		}
		if err == nil {
			created++
		}
	}
	return created, nil
}

// alreadyExists is Trello's 400 for a second webhook with the same
// callback, model and token.
func alreadyExists(err error) bool {
	return IsStatus(err, http.StatusBadRequest) && strings.Contains(err.Error(), "already exists")
}
