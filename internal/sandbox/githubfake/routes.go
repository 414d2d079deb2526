package githubfake

import "net/http"

// routes registers every endpoint the fake serves.
func (f *Fake) routes(mux *http.ServeMux) {
	const repo = "/repos/{owner}/{repo}"
	mux.HandleFunc("GET "+repo, f.getRepo)
	mux.HandleFunc("GET /orgs/{org}/repos", f.orgRepos)
	mux.HandleFunc("GET /user/repos", f.userRepos)
	mux.HandleFunc("GET "+repo+"/environments", f.listEnvironments)
	mux.HandleFunc("GET "+repo+"/pulls", f.listPulls)
	mux.HandleFunc("GET "+repo+"/pulls/{number}", f.getPull)
	mux.HandleFunc("GET "+repo+"/commits", f.listCommits)
	mux.HandleFunc("GET "+repo+"/commits/{sha}", f.getCommit)
	mux.HandleFunc("GET "+repo+"/commits/{sha}/pulls", f.pullsForCommit)
	mux.HandleFunc("GET "+repo+"/compare/{basehead}", f.compare)
	mux.HandleFunc("GET "+repo+"/deployments", f.listDeployments)
	mux.HandleFunc("GET "+repo+"/deployments/{id}", f.getDeployment)
	mux.HandleFunc("GET "+repo+"/deployments/{id}/statuses", f.listDeploymentStatuses)
	mux.HandleFunc("GET "+repo+"/actions/runs", f.listRuns)
	mux.HandleFunc("GET "+repo+"/actions/workflows/{workflow}/runs", f.listRuns)
	mux.HandleFunc("GET "+repo+"/releases", f.listReleases)
	mux.HandleFunc("GET "+repo+"/hooks/{hook}/deliveries", f.listDeliveries)
	mux.HandleFunc("POST "+repo+"/hooks/{hook}/deliveries/{id}/attempts", f.redeliverAttempt)
	mux.HandleFunc("GET /orgs/{org}/hooks/{hook}/deliveries", f.listDeliveries)
	mux.HandleFunc("POST /orgs/{org}/hooks/{hook}/deliveries/{id}/attempts", f.redeliverAttempt)
	mux.HandleFunc("POST /app/installations/{id}/access_tokens", f.accessToken)
	mux.HandleFunc("GET /app/hook/deliveries", f.listDeliveries)
	mux.HandleFunc("POST /app/hook/deliveries/{id}/attempts", f.redeliverAttempt)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { f.notFound(w) })
}
