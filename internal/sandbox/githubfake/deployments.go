package githubfake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/go-github/v60/github"
)

// Deployment seeds a deployment.
type Deployment struct {
	// SHA is a commit sha or a branch name (resolved to its head).
	SHA         string
	Ref         string // default: the SHA as given
	Environment string // default "production"
	Task        string // default "deploy"
	Description string
	Creator     string // login
	CreatedAt   time.Time
}

// DeploymentStatus seeds a status of a deployment.
type DeploymentStatus struct {
	// State is error, failure, inactive, in_progress, queued, pending or success.
	State          string
	Description    string
	Creator        string
	LogURL         string
	EnvironmentURL string
	CreatedAt      time.Time
}

type deployment struct {
	Deployment
	id        int64
	updatedAt time.Time
	statuses  []*status // oldest first
}

type status struct {
	DeploymentStatus
	id int64
}

var deploymentStates = []string{"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}

// AddDeployment creates a deployment and returns its id.
func (f *Fake) AddDeployment(fullName string, d Deployment) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repoLocked(fullName)
	if err != nil {
		return 0, err
	}
	c := r.resolve(d.SHA)
	if c == nil {
		return 0, fmt.Errorf("%w: commit %q", ErrNotFound, d.SHA)
	}
	if d.Ref == "" {
		d.Ref = d.SHA
	}
	d.SHA = c.sha
	if d.Environment == "" {
		d.Environment = "production"
	}
	if d.Task == "" {
		d.Task = "deploy"
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = f.now()
	}
	d.CreatedAt = d.CreatedAt.UTC()
	dep := &deployment{Deployment: d, id: f.id(), updatedAt: d.CreatedAt}
	r.deployments = append(r.deployments, dep)
	return dep.id, nil
}

// AddDeploymentStatus adds a status to a deployment and returns its id.
func (f *Fake) AddDeploymentStatus(fullName string, deploymentID int64, s DeploymentStatus) (int64, error) {
	if !slices.Contains(deploymentStates, s.State) {
		return 0, fmt.Errorf("githubfake: deployment state %q: want one of %v", s.State, deploymentStates)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repoLocked(fullName)
	if err != nil {
		return 0, err
	}
	d := r.deployment(deploymentID)
	if d == nil {
		return 0, fmt.Errorf("%w: deployment %d", ErrNotFound, deploymentID)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = f.now()
	}
	s.CreatedAt = s.CreatedAt.UTC()
	if s.Creator == "" {
		s.Creator = d.Creator
	}
	st := &status{DeploymentStatus: s, id: f.id()}
	d.statuses = append(d.statuses, st)
	d.updatedAt = s.CreatedAt
	return st.id, nil
}

func (r *repo) deployment(id int64) *deployment {
	for _, d := range r.deployments {
		if d.id == id {
			return d
		}
	}
	return nil
}

func (r *repo) renderDeployment(d *deployment) *github.Deployment {
	u := fmt.Sprintf("%s/repos/%s/deployments/%d", apiBase, r.fullName(), d.id)
	return &github.Deployment{
		ID: github.Int64(d.id), SHA: github.String(d.SHA), Ref: github.String(d.Ref), Task: github.String(d.Task),
		Environment: github.String(d.Environment), Description: github.String(d.Description),
		Creator: user(d.Creator), CreatedAt: ts(d.CreatedAt), UpdatedAt: ts(d.updatedAt),
		URL: github.String(u), StatusesURL: github.String(u + "/statuses"),
		RepositoryURL: github.String(apiBase + "/repos/" + r.fullName()),
	}
}

func (r *repo) renderStatus(d *deployment, s *status) *github.DeploymentStatus {
	u := fmt.Sprintf("%s/repos/%s/deployments/%d", apiBase, r.fullName(), d.id)
	return &github.DeploymentStatus{
		ID: github.Int64(s.id), State: github.String(s.State), Description: github.String(s.Description),
		Creator: user(s.Creator), Environment: github.String(d.Environment),
		LogURL: github.String(s.LogURL), TargetURL: github.String(s.LogURL), EnvironmentURL: github.String(s.EnvironmentURL),
		CreatedAt: ts(s.CreatedAt), UpdatedAt: ts(s.CreatedAt),
		DeploymentURL: github.String(u), RepositoryURL: github.String(apiBase + "/repos/" + r.fullName()),
		URL: github.String(fmt.Sprintf("%s/statuses/%d", u, s.id)),
	}
}

// listDeployments serves GET /repos/{owner}/{repo}/deployments, newest
// first, filtered by sha, ref, task and environment.
func (f *Fake) listDeployments(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rp := f.repoFor(r)
	if rp == nil {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	q := r.URL.Query()
	match := func(key, v string) bool { return q.Get(key) == "" || q.Get(key) == v }
	var sel []*deployment
	for _, d := range slices.Backward(rp.deployments) {
		if match("sha", d.SHA) && match("ref", d.Ref) && match("task", d.Task) && match("environment", d.Environment) {
			sel = append(sel, d)
		}
	}
	out := []*github.Deployment{}
	for _, d := range pageOf(w, r, sel) {
		out = append(out, rp.renderDeployment(d))
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, out)
}

// getDeployment serves GET /repos/{owner}/{repo}/deployments/{id}.
func (f *Fake) getDeployment(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rp := f.repoFor(r)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var d *deployment
	if rp != nil {
		d = rp.deployment(id)
	}
	if d == nil {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	out := rp.renderDeployment(d)
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, out)
}

// listDeploymentStatuses serves GET /repos/{owner}/{repo}/deployments/{id}/statuses,
// newest first.
func (f *Fake) listDeploymentStatuses(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rp := f.repoFor(r)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var d *deployment
	if rp != nil {
		d = rp.deployment(id)
	}
	if d == nil {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	out := []*github.DeploymentStatus{}
	newest := slices.Clone(d.statuses)
	slices.Reverse(newest)
	for _, s := range pageOf(w, r, newest) {
		out = append(out, rp.renderStatus(d, s))
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, out)
}

// Deploy is a shortcut for a whole deployment: it creates one of sha (or a
// branch) to environment by creator at at, moving through in_progress to
// state (success, failure or error) a minute later. It returns the id.
func (f *Fake) Deploy(fullName, environment, sha, creator, state string, at time.Time) (int64, error) {
	if at.IsZero() {
		f.mu.Lock()
		at = f.now()
		f.mu.Unlock()
	}
	id, err := f.AddDeployment(fullName, Deployment{SHA: sha, Environment: environment, Creator: creator, CreatedAt: at})
	if err != nil {
		return 0, err
	}
	if _, err := f.AddDeploymentStatus(fullName, id, DeploymentStatus{State: "in_progress", CreatedAt: at}); err != nil {
		return 0, err
	}
	_, err = f.AddDeploymentStatus(fullName, id, DeploymentStatus{State: state, CreatedAt: at.Add(time.Minute)})
	return id, err
}

// DeleteDeployment removes a deployment and its statuses, as GitHub does
// when a deployment or its environment is deleted: its URLs answer 404.
func (f *Fake) DeleteDeployment(fullName string, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repoLocked(fullName)
	if err != nil {
		return err
	}
	for i, d := range r.deployments {
		if d.id == id {
			r.deployments = slices.Delete(r.deployments, i, i+1)
			return nil
		}
	}
	return fmt.Errorf("%w: deployment %d", ErrNotFound, id)
}
