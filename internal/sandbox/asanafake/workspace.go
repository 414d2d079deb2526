package asanafake

import (
	"maps"
	"net/http"
	"slices"
)

// Workspace is the fake's one workspace.
const Workspace = "1100000000000001"

// workspaceRoutes adds what `goalpost init` and `doctor` read: the token's
// user and workspaces, the workspace's projects (those its tasks are in)
// and users (its tasks' assignees and creators, by email), and a project.
func (f *Fake) workspaceRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /users/me", f.getMe)
	m.HandleFunc("GET /workspaces", f.listWorkspaces)
	m.HandleFunc("GET /projects", f.listProjects)
	m.HandleFunc("GET /projects/{gid}", f.getProject)
	m.HandleFunc("GET /users", f.listUsers)
}

func workspaceJSON() map[string]any {
	return map[string]any{"gid": Workspace, "name": "acme", "resource_type": "workspace"}
}

func (f *Fake) getMe(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"gid": "1100000000000099", "name": "goalpost",
		"email": "goalpost@acme.example", "resource_type": "user", "workspaces": []any{workspaceJSON()}}})
}

func (f *Fake) listWorkspaces(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"data": []any{workspaceJSON()}, "next_page": nil})
}

// projects are the gid → name of the projects the tasks are in.
func (f *Fake) projects() map[string]string {
	out := map[string]string{}
	for _, t := range f.tasks {
		if t.Project != "" {
			out[t.Project] = t.ProjectName
		}
	}
	return out
}

// inWorkspace answers Asana's 400 unless the query names the workspace.
func inWorkspace(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Query().Get("workspace") {
	case Workspace:
		return true
	case "":
		fail(w, http.StatusBadRequest, "workspace: Missing input")
	default:
		fail(w, http.StatusNotFound, "workspace: Unknown object")
	}
	return false
}

func (f *Fake) listProjects(w http.ResponseWriter, r *http.Request) {
	if !inWorkspace(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ps := f.projects()
	out := []any{}
	for _, gid := range slices.Sorted(maps.Keys(ps)) {
		out = append(out, map[string]any{"gid": gid, "name": ps[gid], "resource_type": "project"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "next_page": nil})
}

func (f *Fake) getProject(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name, ok := f.projects()[r.PathValue("gid")]
	if !ok {
		fail(w, http.StatusNotFound, "project: Unknown object: "+r.PathValue("gid"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"gid": r.PathValue("gid"), "name": name,
		"resource_type": "project", "archived": false, "workspace": workspaceJSON()}})
}

func (f *Fake) listUsers(w http.ResponseWriter, r *http.Request) {
	if !inWorkspace(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var emails []string
	for _, t := range f.tasks {
		for _, e := range []string{t.Assignee, t.CreatedBy} {
			if e != "" && !slices.Contains(emails, e) {
				emails = append(emails, e)
			}
		}
	}
	slices.Sort(emails)
	out := []any{}
	for i, e := range emails {
		out = append(out, map[string]any{"gid": 1100000000000100 + i, "name": e, "email": e, "resource_type": "user"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "next_page": nil})
}
