// Package pagerdutyfake is an in-memory PagerDuty REST API v2 for tests and
// the sandbox: GET /incidents (since/until on created_at, statuses[],
// service_ids[], classic limit/offset pagination with "more" and the
// 10,000 offset cap answered 400) and GET /incidents/{id}, authenticated
// with "Authorization: Token token=…" (401 otherwise), PagerDuty's error
// bodies ({"error": {"message", "code"}}), ratelimit-* headers and
// injectable 429s (with or without those headers, as PagerDuty sends both).
package pagerdutyfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Incident is one seeded incident.
type Incident struct {
	ID         string
	Number     int
	Title      string
	Status     string // triggered | acknowledged | resolved
	Urgency    string
	Priority   string // "" for none
	ServiceID  string
	Service    string
	CreatedAt  time.Time
	ResolvedAt time.Time
}

// Fake is an in-memory PagerDuty; create it with New.
type Fake struct {
	mu        sync.Mutex
	token     string
	incidents []Incident
	throttle  []int // reset seconds for injected 429s (-1: no headers)
	requests  int
}

// New returns a fake accepting token.
func New(token string) *Fake { return &Fake{token: token} }

// Server starts an httptest server; its URL is the base_url.
func (f *Fake) Server() *httptest.Server { return httptest.NewServer(f) }

// Add adds or replaces (same ID) an incident.
func (f *Fake) Add(in Incident) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.incidents {
		if f.incidents[i].ID == in.ID {
			f.incidents[i] = in
			return
		}
	}
	f.incidents = append(f.incidents, in)
}

// Get returns the incident with id, if there is one.
func (f *Fake) Get(id string) (Incident, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, in := range f.incidents {
		if in.ID == id {
			return in, true
		}
	}
	return Incident{}, false
}

// Throttle makes the next request answer 429 with ratelimit-reset
// seconds (negative: without rate-limit headers).
func (f *Fake) Throttle(reset int) {
	f.mu.Lock()
	f.throttle = append(f.throttle, reset)
	f.mu.Unlock()
}

// Requests is how many requests the fake answered.
func (f *Fake) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	w.Header().Set("Content-Type", "application/json")
	if len(f.throttle) > 0 {
		reset := f.throttle[0]
		f.throttle = f.throttle[1:]
		if reset >= 0 {
			w.Header().Set("ratelimit-limit", "960")
			w.Header().Set("ratelimit-remaining", "0")
			w.Header().Set("ratelimit-reset", strconv.Itoa(reset))
		}
		fail(w, http.StatusTooManyRequests, 2020, "Rate Limit Exceeded")
		return
	}
	if r.Header.Get("Authorization") != "Token token="+f.token {
		fail(w, http.StatusUnauthorized, 2006, "Authentication failed")
		return
	}
	switch id, one := strings.CutPrefix(r.URL.Path, "/incidents/"); {
	case r.URL.Path == "/incidents":
		f.list(w, r)
	case one:
		for _, in := range f.incidents {
			if in.ID == id {
				_ = json.NewEncoder(w).Encode(map[string]any{"incident": incidentJSON(in)})
				return
			}
		}
		fail(w, http.StatusNotFound, 2100, "Not Found")
	default:
		fail(w, http.StatusNotFound, 2100, "Not Found")
	}
}

func (f *Fake) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, err1 := time.Parse(time.RFC3339, q.Get("since"))
	until, err2 := time.Parse(time.RFC3339, q.Get("until"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	if limit <= 0 {
		limit = 25
	}
	switch {
	case err1 != nil || err2 != nil || until.Sub(since) > 183*24*time.Hour:
		fail(w, http.StatusBadRequest, 2001, "Invalid Input Provided")
		return
	case limit > 100 || offset+limit > 10000:
		fail(w, http.StatusBadRequest, 2001, "Offset must be less than 10000")
		return
	}
	var all []Incident
	for _, in := range f.incidents {
		if in.CreatedAt.Before(since) || !in.CreatedAt.Before(until) {
			continue
		}
		if ids := q["service_ids[]"]; len(ids) > 0 && !slices.Contains(ids, in.ServiceID) {
			continue
		}
		all = append(all, in)
	}
	slices.SortStableFunc(all, func(a, b Incident) int { return a.CreatedAt.Compare(b.CreatedAt) })
	page := []any{}
	for i := offset; i < min(offset+limit, len(all)); i++ {
		page = append(page, incidentJSON(all[i]))
	}
	w.Header().Set("ratelimit-remaining", "959")
	_ = json.NewEncoder(w).Encode(map[string]any{"incidents": page, "limit": limit, "offset": offset,
		"more": offset+limit < len(all), "total": nil})
}

func incidentJSON(in Incident) map[string]any {
	out := map[string]any{
		"id": in.ID, "type": "incident", "incident_number": in.Number, "title": in.Title, "status": in.Status,
		"urgency": in.Urgency, "created_at": in.CreatedAt.UTC().Format(time.RFC3339),
		"html_url": "https://acme.pagerduty.com/incidents/" + in.ID,
		"service":  map[string]any{"id": in.ServiceID, "summary": in.Service, "type": "service_reference"},
		"priority": nil, "resolved_at": nil, "last_status_change_at": in.CreatedAt.UTC().Format(time.RFC3339),
	}
	if in.Priority != "" {
		out["priority"] = map[string]any{"summary": in.Priority}
	}
	if in.Status == "resolved" {
		out["resolved_at"] = in.ResolvedAt.UTC().Format(time.RFC3339)
		out["last_status_change_at"] = out["resolved_at"]
	}
	return out
}

func fail(w http.ResponseWriter, status, code int, msg string) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "code": code}})
}
