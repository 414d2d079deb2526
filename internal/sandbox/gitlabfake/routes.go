package gitlabfake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// route dispatches on the escaped path (project ids are URL-encoded paths).
func (f *Fake) route(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v4/")
	if !ok || r.Method != http.MethodGet {
		fail(w, http.StatusNotFound, "404 Not Found")
		return
	}
	seg := strings.Split(rest, "/")
	for i, s := range seg {
		seg[i], _ = url.PathUnescape(s)
	}
	if len(seg) == 3 && seg[0] == "groups" && seg[2] == "projects" {
		f.groupProjects(w, r, seg[1])
		return
	}
	if len(seg) == 1 && seg[0] == "projects" {
		f.listProjects(w, r)
		return
	}
	if len(seg) < 2 || seg[0] != "projects" {
		fail(w, http.StatusNotFound, "404 Not Found")
		return
	}
	p := f.projects[seg[1]]
	if p == nil {
		fail(w, http.StatusNotFound, "404 Project Not Found")
		return
	}
	switch tail := strings.Join(seg[2:], "/"); {
	case tail == "":
		writeJSON(w, f.projectJSON(p))
	case tail == "merge_requests":
		f.listMRs(w, r, p)
	case strings.HasPrefix(tail, "merge_requests/"):
		f.getMR(w, p, strings.TrimPrefix(tail, "merge_requests/"))
	case tail == "deployments":
		f.listDeployments(w, r, p)
	case tail == "environments":
		f.listEnvironments(w, r, p)
	case tail == "repository/compare":
		f.compare(w, r, p)
	case tail == "repository/commits":
		f.listCommits(w, r, p)
	case len(seg) == 5 && seg[2] == "repository" && seg[3] == "commits":
		f.getCommit(w, p, seg[4])
	case len(seg) == 6 && seg[3] == "commits" && seg[5] == "merge_requests":
		f.mrsOfCommit(w, p, seg[4])
	default:
		fail(w, http.StatusNotFound, "404 Not Found")
	}
}

func (f *Fake) projectJSON(p *project) map[string]any {
	return map[string]any{"id": p.ID, "path_with_namespace": p.Path, "default_branch": p.DefaultBranch,
		"web_url": "https://gitlab.example/" + p.Path}
}

func (f *Fake) groupProjects(w http.ResponseWriter, r *http.Request, group string) {
	if _, ok := f.groups[group]; !ok {
		fail(w, http.StatusNotFound, "404 Group Not Found")
		return
	}
	var out []any
	for _, path := range f.groups[group] {
		out = append(out, f.projectJSON(f.projects[path]))
	}
	f.page(w, r, out)
}

// listProjects is GET /projects: the token's projects (every project here
// is a membership), in creation order.
func (f *Fake) listProjects(w http.ResponseWriter, r *http.Request) {
	var out []any
	for _, path := range f.order {
		out = append(out, f.projectJSON(f.projects[path]))
	}
	f.page(w, r, out)
}

// listEnvironments is GET /projects/:id/environments: the environments the
// project's deployments named, with GitLab's tier guessed from the name the
// way GitLab does when none is set.
func (f *Fake) listEnvironments(w http.ResponseWriter, r *http.Request, p *project) {
	var names []string
	for _, d := range p.deploys {
		if !slices.Contains(names, d.Environment) {
			names = append(names, d.Environment)
		}
	}
	var out []any
	for i, n := range names {
		tier := "other"
		if strings.HasPrefix(strings.ToLower(n), "prod") {
			tier = "production"
		}
		out = append(out, map[string]any{"id": i + 1, "name": n, "slug": n, "state": "available", "tier": tier})
	}
	f.page(w, r, out)
}

func (f *Fake) listMRs(w http.ResponseWriter, r *http.Request, p *project) {
	q := r.URL.Query()
	after, _ := time.Parse(time.RFC3339, q.Get("updated_after"))
	mrs := slices.Clone(p.mrs)
	slices.SortStableFunc(mrs, func(a, b *MR) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	if q.Get("sort") == "desc" {
		slices.Reverse(mrs)
	}
	var out []any
	for _, m := range mrs {
		if m.UpdatedAt.Before(after) || (q.Get("state") != "" && q.Get("state") != "all" && q.Get("state") != m.State) {
			continue
		}
		out = append(out, mrJSON(p, m))
	}
	f.page(w, r, out)
}

func (f *Fake) getMR(w http.ResponseWriter, p *project, iid string) {
	for _, m := range p.mrs {
		if strconv.FormatInt(m.IID, 10) == iid {
			writeJSON(w, mrJSON(p, m))
			return
		}
	}
	fail(w, http.StatusNotFound, "404 Not found")
}

func mrJSON(p *project, m *MR) map[string]any {
	out := map[string]any{
		"id": p.ID*100000 + m.IID, "iid": m.IID, "project_id": p.ID, "title": m.Title, "description": m.Description,
		"state": m.State, "labels": nonNil(m.Labels), "source_branch": m.SourceBranch, "target_branch": m.TargetBranch,
		"author":     map[string]any{"username": m.Author},
		"web_url":    fmt.Sprintf("https://gitlab.example/%s/-/merge_requests/%d", p.Path, m.IID),
		"created_at": stamp(m.CreatedAt), "updated_at": stamp(m.UpdatedAt), "merged_at": stamp(m.MergedAt),
		"closed_at": stamp(m.ClosedAt), "merge_commit_sha": nullable(m.MergeSHA), "squash_commit_sha": nullable(m.SquashSHA),
		"sha": m.HeadSHA,
	}
	return out
}

// listDeployments serves GET /projects/:id/deployments as GitLab does:
// ordered by order_by (id, iid, created_at, updated_at; default id) and
// sort (asc, the default, or desc), filtered by environment, status and
// updated_after/updated_before, which GitLab accepts only with
// order_by=updated_at.
func (f *Fake) listDeployments(w http.ResponseWriter, r *http.Request, p *project) {
	q := r.URL.Query()
	after, _ := time.Parse(time.RFC3339, q.Get("updated_after"))
	before, _ := time.Parse(time.RFC3339, q.Get("updated_before"))
	if (q.Get("updated_after") != "" || q.Get("updated_before") != "") && q.Get("order_by") != "updated_at" {
		fail(w, http.StatusBadRequest, "400 Bad request - updated_after and updated_before require order_by=updated_at")
		return
	}
	ds := slices.Clone(p.deploys)
	slices.SortStableFunc(ds, deploymentOrder(q.Get("order_by")))
	if q.Get("sort") == "desc" {
		slices.Reverse(ds)
	}
	var out []any
	for _, d := range ds {
		if d.UpdatedAt.Before(after) || (!before.IsZero() && !d.UpdatedAt.Before(before)) ||
			(q.Get("environment") != "" && q.Get("environment") != d.Environment) ||
			(q.Get("status") != "" && q.Get("status") != d.Status) {
			continue
		}
		out = append(out, map[string]any{
			"id": d.ID, "iid": d.ID, "ref": d.Ref, "sha": d.SHA, "status": d.Status,
			"created_at": stamp(d.CreatedAt), "updated_at": stamp(d.UpdatedAt),
			"user":        map[string]any{"username": d.User},
			"environment": map[string]any{"id": 1, "name": d.Environment},
			"deployable":  map[string]any{"id": d.ID + 1000, "status": d.Status, "finished_at": stamp(d.UpdatedAt)},
		})
	}
	f.page(w, r, out)
}

// deploymentOrder is the ascending order of a deployments listing.
func deploymentOrder(by string) func(a, b *Deployment) int {
	return func(a, b *Deployment) int {
		switch by {
		case "updated_at":
			return cmp.Or(a.UpdatedAt.Compare(b.UpdatedAt), cmp.Compare(a.ID, b.ID))
		case "created_at":
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		}
		return cmp.Compare(a.ID, b.ID)
	}
}

func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// page writes one page of items with GitLab's offset pagination headers.
// It notes in the request log how many items the page held.
func (f *Fake) page(w http.ResponseWriter, r *http.Request, items []any) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 20
	}
	per = min(per, 100)
	n, _ := strconv.Atoi(q.Get("page"))
	n = max(n, 1)
	total := len(items)
	pages := max((total+per-1)/per, 1)
	from, to := min((n-1)*per, total), min(n*per, total)
	h := w.Header()
	h.Set("X-Page", strconv.Itoa(n))
	h.Set("X-Per-Page", strconv.Itoa(per))
	h.Set("X-Total", strconv.Itoa(total))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	if n < pages {
		h.Set("X-Next-Page", strconv.Itoa(n+1))
		next := *r.URL
		nq := next.Query()
		nq.Set("page", strconv.Itoa(n+1))
		next.RawQuery = nq.Encode()
		h.Set("Link", fmt.Sprintf(`<http://%s%s>; rel="next"`, r.Host, next.RequestURI()))
	} else {
		h.Set("X-Next-Page", "")
	}
	out := items[from:to]
	f.log[len(f.log)-1].Items = len(out)
	if out == nil {
		out = []any{}
	}
	writeJSON(w, out)
}

func writeJSON(w http.ResponseWriter, v any) { _ = json.NewEncoder(w).Encode(v) }

func fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	writeJSON(w, map[string]string{"message": msg})
}
