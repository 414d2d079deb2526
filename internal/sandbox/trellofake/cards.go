package trellofake

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// AddCard creates a card in list and records its createCard action, which
// it returns (for Deliver).
func (f *Fake) AddCard(board, listID, name string, labels, members []string) (string, map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := &Card{ID: f.id(), Board: board, List: listID, Name: name, Labels: labels, Members: members}
	f.cards[c.ID] = c
	return c.ID, f.record("createCard", c, map[string]any{"list": f.listRef(board, listID)})
}

// Move moves a card to another list (updateCard with listBefore/listAfter).
func (f *Fake) Move(cardID, listID string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cards[cardID]
	before := c.List
	c.List = listID
	return f.record("updateCard", c, map[string]any{"listBefore": f.listRef(c.Board, before),
		"listAfter": f.listRef(c.Board, listID), "old": map[string]any{"idList": before}})
}

// SetClosed archives (true) or unarchives a card.
func (f *Fake) SetClosed(cardID string, closed bool) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cards[cardID]
	c.Closed = closed
	return f.record("updateCard", c, map[string]any{"list": f.listRef(c.Board, c.List), "old": map[string]any{"closed": !closed}})
}

// Delete deletes a card (deleteCard).
func (f *Fake) Delete(cardID string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.cards[cardID]
	c.deleted = true
	return f.record("deleteCard", c, map[string]any{"list": f.listRef(c.Board, c.List)})
}

func (f *Fake) listRef(board, id string) map[string]any {
	return map[string]any{"id": id, "name": f.lists[board][id].Name}
}

// record appends an action about c (data merged with board and card).
func (f *Fake) record(typ string, c *Card, data map[string]any) map[string]any {
	data["board"] = map[string]any{"id": c.Board, "name": f.boards[c.Board], "shortLink": c.Board[:8]}
	card := map[string]any{"id": c.ID, "name": c.Name, "idShort": len(f.actions) + 1, "shortLink": c.ID[16:]}
	if typ == "updateCard" {
		card["idList"] = c.List
		if _, ok := data["old"].(map[string]any)["closed"]; ok {
			card["closed"] = c.Closed
		}
	}
	data["card"] = card
	a := map[string]any{"id": f.id(), "idMemberCreator": "m-1", "type": typ,
		"date": f.now().UTC().Format("2006-01-02T15:04:05.000Z"), "data": data,
		"memberCreator": map[string]any{"id": "m-1", "username": "mover", "fullName": "Mover"}}
	f.actions = append(f.actions, a)
	return a
}

// boardActions lists a board's actions newest first: filter (types),
// since (date), before (an action id), limit (default 50, max 1000).
func (f *Fake) boardActions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 50
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1000 {
			http.Error(w, "invalid value for limit", http.StatusBadRequest)
			return
		}
		limit = n
	}
	var since time.Time
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			http.Error(w, "invalid value for since", http.StatusBadRequest)
			return
		}
		since = t
	}
	types := splitComma(q.Get("filter"))
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []map[string]any{}
	for i := len(f.actions) - 1; i >= 0 && len(out) < limit; i-- {
		a := f.actions[i]
		d := a["data"].(map[string]any)
		at, _ := time.Parse(time.RFC3339, a["date"].(string))
		switch {
		case d["board"].(map[string]any)["id"] != r.PathValue("id"),
			len(types) > 0 && !slices.Contains(types, a["type"].(string)),
			at.Before(since),
			q.Get("before") != "" && a["id"].(string) >= q.Get("before"):
			continue
		}
		out = append(out, a)
	}
	writeJSON(w, http.StatusOK, out)
}

func splitComma(s string) []string {
	var out []string
	for _, p := range bytes.Split([]byte(s), []byte(",")) {
		if len(p) > 0 {
			out = append(out, string(p))
		}
	}
	return out
}

func (f *Fake) render(c *Card) map[string]any {
	labels, members := []any{}, []any{}
	for _, l := range c.Labels {
		labels = append(labels, map[string]any{"id": "l-" + l, "name": l, "color": "red"})
	}
	for _, m := range c.Members {
		members = append(members, map[string]any{"id": "m-" + m, "username": m})
	}
	return map[string]any{"id": c.ID, "name": c.Name, "idList": c.List, "idBoard": c.Board, "closed": c.Closed,
		"url": "https://trello.com/c/" + c.ID[16:], "due": nil, "labels": labels, "members": members}
}

func (f *Fake) boardCards(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []map[string]any{}
	for _, id := range slices.Sorted(maps.Keys(f.cards)) {
		c := f.cards[id]
		if c.Board == r.PathValue("id") && !c.deleted && (!c.Closed || r.URL.Query().Get("filter") == "all") {
			out = append(out, f.render(c))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *Fake) getCard(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.cards[r.PathValue("id")]
	if !ok || c.deleted {
		http.Error(w, "The requested resource was not found.", http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, f.render(c))
}

// createWebhook checks the callback with a HEAD (200 required), then
// creates the webhook.
func (f *Fake) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct{ CallbackURL, IDModel, Description string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.CallbackURL == "" || in.IDModel == "" {
		http.Error(w, "invalid value for callbackURL", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	dup := slices.ContainsFunc(f.hooks, func(h webhook) bool { return h.model == in.IDModel && h.callback == in.CallbackURL })
	f.mu.Unlock()
	if dup {
		http.Error(w, "A webhook with that callback, model, and token already exists", http.StatusBadRequest)
		return
	}
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodHead, in.CallbackURL, nil)
	resp, err := f.client.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		if err == nil {
			resp.Body.Close()
		}
		http.Error(w, "URL ("+in.CallbackURL+") did not return 200 status code, got "+statusOf(resp, err), http.StatusBadRequest)
		return
	}
	resp.Body.Close()
	f.mu.Lock()
	h := webhook{id: f.id(), model: in.IDModel, callback: in.CallbackURL}
	f.hooks = append(f.hooks, h)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, h.render())
}

// tokenWebhooks is GET /tokens/{token}/webhooks: the token's webhooks.
func (f *Fake) tokenWebhooks(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("token") != f.token {
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []map[string]any{}
	for _, h := range f.hooks {
		out = append(out, h.render())
	}
	writeJSON(w, http.StatusOK, out)
}

// updateWebhook is PUT /webhooks/{id}: active=true|false (query), as
// Trello takes it, turns deliveries on or off.
func (f *Fake) updateWebhook(w http.ResponseWriter, r *http.Request) {
	active, err := strconv.ParseBool(r.URL.Query().Get("active"))
	if err != nil {
		http.Error(w, "invalid value for active", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.hooks, func(h webhook) bool { return h.id == r.PathValue("id") })
	if i < 0 {
		http.Error(w, "The requested resource was not found.", http.StatusNotFound)
		return
	}
	f.hooks[i].disabled = !active
	writeJSON(w, http.StatusOK, f.hooks[i].render())
}

// DisableWebhooks marks every webhook inactive, as Trello does after 30
// days of failed deliveries: Deliver skips them until re-enabled.
func (f *Fake) DisableWebhooks() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.hooks {
		f.hooks[i].disabled = true
	}
}

func (h webhook) render() map[string]any {
	return map[string]any{"id": h.id, "description": "goalpost", "idModel": h.model, "callbackURL": h.callback, "active": !h.disabled}
}

// Webhooks lists the webhooks' (board, callback URL), oldest first.
func (f *Fake) Webhooks() [][2]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out [][2]string
	for _, h := range f.hooks {
		out = append(out, [2]string{h.model, h.callback})
	}
	return out
}

func statusOf(resp *http.Response, err error) string {
	if err != nil {
		return "no answer"
	}
	return strconv.Itoa(resp.StatusCode)
}

// Deliver POSTs {model, action} to every webhook on the action's board,
// signed, and returns the status codes answered.
func (f *Fake) Deliver(ctx context.Context, action map[string]any) ([]int, error) {
	board := action["data"].(map[string]any)["board"].(map[string]any)["id"].(string)
	f.mu.Lock()
	body, err := json.Marshal(map[string]any{"model": map[string]any{"id": board, "name": f.boards[board]}, "action": action})
	hooks := slices.Clone(f.hooks)
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var codes []int
	for _, h := range hooks {
		if h.model != board || h.disabled {
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.callback, bytes.NewReader(body))
		if err != nil {
			return codes, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Trello-Webhook", Sign(f.secret, body, h.callback))
		resp, err := f.client.Do(req)
		if err != nil {
			return codes, err
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	return codes, nil
}
