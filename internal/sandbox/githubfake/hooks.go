package githubfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// HookDelivery is one webhook delivery as GitHub records it.
type HookDelivery struct {
	ID         int64  // set by the fake
	GUID       string // the X-GitHub-Delivery value; redeliveries keep it
	Event      string
	Action     string
	StatusCode int // 0: no answer (timeout, connection refused)
	// DeliveredAt defaults to now.
	DeliveredAt time.Time
	Redelivery  bool
	// Payload is the delivered body (not served; for WithRedeliver callbacks).
	Payload json.RawMessage
}

// Redelivery is one redelivery request a client made.
type Redelivery struct {
	Scope      string // "owner/repo" or "org:<org>"
	HookID     int64
	DeliveryID int64
	GUID       string
}

// AddHook creates a repository webhook and returns its id.
func (f *Fake) AddHook(fullName string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repoLocked(fullName)
	if err != nil {
		return 0, err
	}
	h := &hook{id: f.id()}
	r.hooks[h.id] = h
	return h.id, nil
}

// AddOrgHook creates an organization webhook and returns its id.
func (f *Fake) AddOrgHook(org string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := &hook{id: f.id()}
	f.orgHooks[orgHookKey(org, h.id)] = h
	return h.id
}

func orgHookKey(org string, id int64) string {
	return strings.ToLower(org) + "/" + strconv.FormatInt(id, 10)
}

// AddHookDelivery records a delivery of a repository hook (scope
// "owner/repo"), an organization hook (scope "org:<org>") or the GitHub
// App's webhook (scope "app", hookID 0) and returns its id.
func (f *Fake) AddHookDelivery(scope string, hookID int64, d HookDelivery) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, err := f.hookLocked(scope, hookID)
	if err != nil {
		return 0, err
	}
	return f.deliverLocked(h, d), nil
}

func (f *Fake) deliverLocked(h *hook, d HookDelivery) int64 {
	d.ID = f.id()
	if d.DeliveredAt.IsZero() {
		d.DeliveredAt = f.now()
	}
	h.deliveries = append(h.deliveries, &d)
	return d.ID
}

func (f *Fake) hookLocked(scope string, id int64) (*hook, error) {
	if scope == "app" {
		return f.appHook, nil
	}
	if org, ok := strings.CutPrefix(scope, "org:"); ok {
		if h := f.orgHooks[orgHookKey(org, id)]; h != nil {
			return h, nil
		}
		return nil, fmt.Errorf("%w: hook %d of org %s", ErrNotFound, id, org)
	}
	r, err := f.repoLocked(scope)
	if err != nil {
		return nil, err
	}
	if h := r.hooks[id]; h != nil {
		return h, nil
	}
	return nil, fmt.Errorf("%w: hook %d of %s", ErrNotFound, id, scope)
}

// Redeliveries returns the redelivery requests clients made, in order.
func (f *Fake) Redeliveries() []Redelivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.redeliveries)
}

func scopeOf(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/app/") {
		return "app"
	}
	if org := r.PathValue("org"); org != "" {
		return "org:" + org
	}
	return r.PathValue("owner") + "/" + r.PathValue("repo")
}

// listDeliveries serves GET .../hooks/{hook}/deliveries, newest first, with
// cursor pagination: the Link header's next URL carries cursor=....
func (f *Fake) listDeliveries(w http.ResponseWriter, r *http.Request) {
	if !f.appJWT(w, r) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("hook"), 10, 64)
	f.mu.Lock()
	h, err := f.hookLocked(scopeOf(r), id)
	if err != nil {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	perPage := min(max(intParam(r, "per_page", 30), 1), 100)
	from := int64(-1)
	if c, ok := strings.CutPrefix(r.URL.Query().Get("cursor"), "v1_"); ok {
		from, _ = strconv.ParseInt(c, 10, 64)
	}
	out := []*github.HookDelivery{}
	var next int64
	for _, d := range slices.Backward(h.deliveries) {
		if from >= 0 && d.ID > from {
			continue
		}
		if len(out) == perPage {
			next = d.ID
			break
		}
		out = append(out, renderDelivery(d))
	}
	f.mu.Unlock()
	if next != 0 {
		setLinks(w, fmt.Sprintf(`<%s>; rel="next"`, pageURL(r, "cursor", "v1_"+strconv.FormatInt(next, 10), perPage)))
	}
	f.respond(w, r, http.StatusOK, out)
}

func renderDelivery(d *HookDelivery) *github.HookDelivery {
	status := "OK"
	switch {
	case d.StatusCode == 0:
		status = "timed out"
	case d.StatusCode < 200 || d.StatusCode > 299:
		status = "Invalid HTTP Response: " + strconv.Itoa(d.StatusCode)
	}
	return &github.HookDelivery{
		ID: github.Int64(d.ID), GUID: github.String(d.GUID), DeliveredAt: ts(d.DeliveredAt),
		Redelivery: github.Bool(d.Redelivery),
		Status:     github.String(status), StatusCode: github.Int(d.StatusCode),
		Event: github.String(d.Event), Action: github.String(d.Action),
	}
}

// redeliverAttempt serves POST .../hooks/{hook}/deliveries/{id}/attempts:
// 202 Accepted, and a new delivery with the same GUID is recorded.
func (f *Fake) redeliverAttempt(w http.ResponseWriter, r *http.Request) {
	if !f.appJWT(w, r) {
		return
	}
	hookID, _ := strconv.ParseInt(r.PathValue("hook"), 10, 64)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	scope := scopeOf(r)
	f.mu.Lock()
	h, err := f.hookLocked(scope, hookID)
	var orig *HookDelivery
	if err == nil {
		if i := slices.IndexFunc(h.deliveries, func(d *HookDelivery) bool { return d.ID == id }); i >= 0 {
			orig = h.deliveries[i]
		}
	}
	if orig == nil {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	cp, cb := *orig, f.redeliver
	f.redeliveries = append(f.redeliveries, Redelivery{Scope: scope, HookID: hookID, DeliveryID: id, GUID: orig.GUID})
	f.mu.Unlock()
	code := http.StatusOK
	if cb != nil {
		code = cb(scope, hookID, cp)
	}
	f.mu.Lock()
	f.deliverLocked(h, HookDelivery{GUID: cp.GUID, Event: cp.Event, Action: cp.Action, StatusCode: code, Redelivery: true, Payload: cp.Payload})
	f.mu.Unlock()
	f.respond(w, r, http.StatusAccepted, struct{}{})
}
