package githubfake

import (
	"net/http"

	"github.com/google/go-github/v60/github"
)

// userRepos serves GET /user/repos: every repository the token can read
// (all of them, in the order they were added), paginated.
func (f *Fake) userRepos(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	var out []*github.Repository
	var all []*repo
	for _, key := range f.order {
		all = append(all, f.repos[key])
	}
	for _, rp := range pageOf(w, r, all) {
		out = append(out, rp.render())
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, out)
}

// listEnvironments serves GET /repos/{owner}/{repo}/environments: the
// environments deployments were created in, first use first, as GitHub
// creates an environment on a repository's first deployment to it.
func (f *Fake) listEnvironments(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rp := f.repoFor(r)
	if rp == nil {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	seen := map[string]bool{}
	envs := []*github.Environment{}
	for _, d := range rp.deployments {
		if !seen[d.Environment] {
			seen[d.Environment] = true
			envs = append(envs, &github.Environment{ID: github.Int64(int64(len(envs) + 1)), Name: github.String(d.Environment)})
		}
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, &github.EnvResponse{TotalCount: github.Int(len(envs)), Environments: envs})
}
