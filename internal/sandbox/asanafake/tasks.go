package asanafake

import (
	"encoding/base64"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// AddTask adds t (a gid is chosen when empty; created and modified now
// when unset) and returns its gid.
func (f *Fake) AddTask(t Task) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.GID == "" {
		t.GID = f.gid()
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = f.now()
	}
	if t.ModifiedAt.IsZero() {
		t.ModifiedAt = t.CreatedAt
	}
	f.tasks[t.GID] = &t
	return t.GID
}

// Update changes a task with fn, sets its modified_at to now, and returns
// the compact events Asana would deliver (one "changed" per field named).
func (f *Fake) Update(gid string, fn func(*Task), fields ...string) []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tasks[gid]
	fn(t)
	t.ModifiedAt = f.now()
	if t.Completed && t.CompletedAt.IsZero() {
		t.CompletedAt = t.ModifiedAt
	}
	if !t.Completed {
		t.CompletedAt = time.Time{}
	}
	var out []Event
	for _, fld := range fields {
		out = append(out, Event{Action: "changed", Task: gid, Field: fld, At: t.ModifiedAt})
	}
	return out
}

// Delete deletes a task and returns its "deleted" event.
func (f *Fake) Delete(gid string) []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tasks[gid].deleted = true
	return []Event{{Action: "deleted", Task: gid, At: f.now()}}
}

// render is t with the fields goalpost asks for.
func render(t *Task) map[string]any {
	var tags []any
	for _, n := range t.Tags {
		tags = append(tags, map[string]any{"gid": "tag-" + n, "name": n})
	}
	var fields []any
	for _, n := range slices.Sorted(maps.Keys(t.Numbers)) {
		fields = append(fields, map[string]any{"gid": "cf-" + n, "name": n, "number_value": t.Numbers[n]})
	}
	user := func(email string) any {
		if email == "" {
			return nil
		}
		return map[string]any{"gid": "u-" + email, "email": email}
	}
	return map[string]any{
		"gid": t.GID, "resource_type": "task", "name": t.Name,
		"permalink_url": "https://app.asana.com/0/" + t.Project + "/" + t.GID,
		"created_at":    ts(t.CreatedAt), "modified_at": ts(t.ModifiedAt),
		"completed": t.Completed, "completed_at": ts(t.CompletedAt),
		"created_by": user(t.CreatedBy), "assignee": user(t.Assignee), "tags": tags, "custom_fields": fields,
		"memberships": []any{map[string]any{
			"project": map[string]any{"gid": t.Project, "name": t.ProjectName},
			"section": map[string]any{"gid": "sec-" + t.Section, "name": t.Section},
		}},
	}
}

// listTasks is GET /tasks?project=&modified_since=&limit=&offset=: tasks
// by gid, pages of limit with an opaque offset (Asana requires a project).
func (f *Fake) listTasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	project := q.Get("project")
	if project == "" {
		fail(w, http.StatusBadRequest, "project: Missing input")
		return
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit < 1 || limit > 100 {
		fail(w, http.StatusBadRequest, "limit: Must be between 1 and 100")
		return
	}
	var since time.Time
	if s := q.Get("modified_since"); s != "" {
		if since, err = time.Parse(time.RFC3339, s); err != nil {
			fail(w, http.StatusBadRequest, "modified_since: Not a valid date-time")
			return
		}
	}
	start := 0
	if o := q.Get("offset"); o != "" {
		b, err := base64.RawURLEncoding.DecodeString(o)
		if start, _ = strconv.Atoi(string(b)); err != nil || start <= 0 {
			fail(w, http.StatusBadRequest, "offset: Your pagination token is invalid or has expired")
			return
		}
	}
	f.mu.Lock()
	var all []map[string]any
	for _, gid := range slices.Sorted(maps.Keys(f.tasks)) {
		t := f.tasks[gid]
		if t.Project == project && !t.deleted && !t.ModifiedAt.Before(since) {
			all = append(all, render(t))
		}
	}
	f.mu.Unlock()
	end := min(start+limit, len(all))
	page := all[min(start, len(all)):end]
	var next any
	if end < len(all) {
		off := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
		next = map[string]any{"offset": off, "path": "/tasks?limit=" + strconv.Itoa(limit) + "&offset=" + off}
	}
	if page == nil {
		page = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": page, "next_page": next})
}

func (f *Fake) getTask(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	t, ok := f.tasks[r.PathValue("gid")]
	var body map[string]any
	if ok && !t.deleted {
		body = render(t)
	}
	f.mu.Unlock()
	if body == nil {
		fail(w, http.StatusNotFound, "task: Unknown object: "+r.PathValue("gid"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": body})
}
