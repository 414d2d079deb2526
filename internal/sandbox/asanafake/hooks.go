package asanafake

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// Event is a change Asana reports about a task (compact, like Asana's).
type Event struct {
	Action string // changed, added, removed, deleted, undeleted
	Task   string
	Field  string
	At     time.Time
}

func (e Event) render() map[string]any {
	out := map[string]any{
		"user":     map[string]any{"gid": "u-1", "resource_type": "user"},
		"resource": map[string]any{"gid": e.Task, "resource_type": "task", "resource_subtype": "default_task"},
		"action":   e.Action, "created_at": ts(e.At), "parent": nil,
	}
	if e.Field != "" {
		out["change"] = map[string]any{"field": e.Field, "action": "changed"}
	}
	return out
}

// createWebhook is POST /webhooks: like Asana, it POSTs the handshake
// (X-Hook-Secret) to the target during the request and creates the
// webhook only when the target answers 200/204 echoing the secret.
func (f *Fake) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Resource string `json:"resource"`
		Target   string `json:"target"`
	}
	if err := json.NewDecoder(r.Body).Decode(&struct{ Data any }{&in}); err != nil || in.Resource == "" || in.Target == "" {
		fail(w, http.StatusBadRequest, "resource, target: Missing input")
		return
	}
	f.mu.Lock()
	secret := sign(f.gid(), []byte(in.Target))
	f.mu.Unlock()
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, in.Target, nil)
	req.Header.Set("X-Hook-Secret", secret)
	resp, err := f.client.Do(req)
	if err != nil {
		fail(w, http.StatusBadRequest, "The remote server did not respond with the handshake secret.")
		return
	}
	resp.Body.Close()
	if (resp.StatusCode != 200 && resp.StatusCode != 204) || resp.Header.Get("X-Hook-Secret") != secret {
		fail(w, http.StatusBadRequest, "The remote server did not respond with the handshake secret.")
		return
	}
	f.mu.Lock()
	h := webhook{gid: f.gid(), resource: in.Resource, target: in.Target, secret: secret}
	f.hooks = append(f.hooks, h)
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"data": h.render()})
}

// listWebhooks is GET /webhooks: the workspace is required, resource
// filters; one page (the fake never has more than 100).
func (f *Fake) listWebhooks(w http.ResponseWriter, r *http.Request) {
	if !inWorkspace(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []any{}
	for _, h := range f.hooks {
		if res := r.URL.Query().Get("resource"); res == "" || res == h.resource {
			out = append(out, h.render())
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "next_page": nil})
}

func (h webhook) render() map[string]any {
	return map[string]any{"gid": h.gid, "resource_type": "webhook", "active": !h.inactive, "target": h.target,
		"resource": map[string]any{"gid": h.resource, "resource_type": "project"}}
}

// deleteWebhook is DELETE /webhooks/{gid}.
func (f *Fake) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.hooks, func(h webhook) bool { return h.gid == r.PathValue("gid") })
	if i < 0 {
		fail(w, http.StatusNotFound, "webhook: Unknown object: "+r.PathValue("gid"))
		return
	}
	f.hooks = slices.Delete(f.hooks, i, i+1)
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{}})
}

// Webhooks lists the webhooks (target, resource, active), oldest first.
func (f *Fake) Webhooks() []Webhook {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Webhook
	for _, h := range f.hooks {
		out = append(out, Webhook{GID: h.gid, Resource: h.resource, Target: h.target, Active: !h.inactive})
	}
	return out
}

// Deactivate marks a webhook inactive, as Asana does after failed
// deliveries.
func (f *Fake) Deactivate(gid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.hooks {
		if f.hooks[i].gid == gid {
			f.hooks[i].inactive = true
		}
	}
}

// Deliver sends events, signed, to every webhook on resource (a project),
// one POST per webhook, and returns the status codes answered.
func (f *Fake) Deliver(ctx context.Context, resource string, evs ...Event) ([]int, error) {
	body := map[string]any{"events": []any{}}
	list := []any{}
	for _, e := range evs {
		list = append(list, e.render())
	}
	body["events"] = list
	raw, _ := json.Marshal(body)
	f.mu.Lock()
	hooks := append([]webhook(nil), f.hooks...)
	f.mu.Unlock()
	var codes []int
	for _, h := range hooks {
		if h.resource != resource {
			continue
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.target, bytes.NewReader(raw))
		if err != nil {
			return codes, errorf("deliver: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hook-Signature", sign(h.secret, raw))
		resp, err := f.client.Do(req)
		if err != nil {
			return codes, errorf("deliver: %w", err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	return codes, nil
}
