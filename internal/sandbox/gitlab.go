package sandbox

import (
	"fmt"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/gitlabfake"
	"github.com/goalpost/goalpost/internal/sandbox/pagerdutyfake"
)

// The sandbox's GitLab and PagerDuty credentials.
const (
	GitLabToken    = "sandbox-gitlab-token"
	PagerDutyToken = "sandbox-pagerduty-token"
)

// ops is the sandbox's GitLab project (acme/mobile) and PagerDuty account:
// the fakes, their servers, and the project's branch head and counters.
type ops struct {
	gitlab    *gitlabfake.Fake
	pagerduty *pagerdutyfake.Fake
	glSrv     *httptest.Server
	pdSrv     *httptest.Server
	mu        sync.Mutex
	head      string // acme/mobile's main
	iid       int64  // the last merge request iid
	deployID  int64
}

// GitLabURL is the fake GitLab's API root (base_url).
func (s *Sandbox) GitLabURL() string { return s.ops.glSrv.URL + "/api/v4" }

// PagerDutyURL is the fake PagerDuty REST API's base URL.
func (s *Sandbox) PagerDutyURL() string { return s.ops.pdSrv.URL }

// startOps seeds acme/mobile's history on the fake GitLab and the past
// incidents on the fake PagerDuty, and starts both.
func (s *Sandbox) startOps() {
	o := &s.ops
	o.gitlab = gitlabfake.New(GitLabToken, nil)
	o.pagerduty = pagerdutyfake.New(PagerDutyToken)
	o.gitlab.AddProject(repoMobile, "main")
	start := s.Company.Anchor.AddDate(0, 0, -7*(s.Company.Weeks+2))
	o.head = o.gitlab.AddCommit(repoMobile, "Initial commit", start)
	var steps []step
	for _, pr := range s.Company.PRs {
		if pr.Repo == repoMobile {
			steps = append(steps, step{pr.MergedAt, func() error { s.mergeMR(pr.Number, pr.Author, pr.Title, pr.Labels, pr.MergedAt); return nil }})
		}
	}
	for _, d := range s.Company.Deploys {
		if d.Repo == repoMobile {
			steps = append(steps, step{d.At, func() error { s.deployMobile(d.Success, d.At); return nil }})
		}
	}
	_ = replay(steps)
	for _, in := range s.Company.Incidents {
		s.openIncident(in.Number, in.Repo, in.Title, in.Opened)
		s.resolveIncident(in.Number, in.Resolved)
	}
	o.glSrv = httptest.NewServer(o.gitlab)
	o.pdSrv = httptest.NewServer(o.pagerduty)
}

func (s *Sandbox) closeOps() {
	s.ops.glSrv.Close()
	s.ops.pdSrv.Close()
}

// mergeMR lands merge request iid (0: the next one) on acme/mobile's main
// as a merge commit, and returns its iid.
func (s *Sandbox) mergeMR(iid int, author, title string, labels []string, at time.Time) int64 {
	o := &s.ops
	o.mu.Lock()
	defer o.mu.Unlock()
	o.iid = max(o.iid+1, int64(iid))
	branch := fmt.Sprintf("%s-%d", author, o.iid)
	commit := o.gitlab.AddCommit(repoMobile, title, at.Add(-2*time.Hour), o.head)
	o.head = o.gitlab.AddCommit(repoMobile, "Merge branch '"+branch+"' into 'main'", at, o.head, commit)
	o.gitlab.AddMR(repoMobile, gitlabfake.MR{IID: o.iid, Title: title, Description: "Part of the sandbox company's history.",
		Author: author, Labels: labels, SourceBranch: branch, TargetBranch: "main", State: "merged",
		CreatedAt: at.Add(-20 * time.Hour), MergedAt: at, MergeSHA: o.head, HeadSHA: commit, Commits: []string{commit}})
	return o.iid
}

// deployMobile records a finished production deployment of acme/mobile's main.
func (s *Sandbox) deployMobile(success bool, at time.Time) {
	o := &s.ops
	o.mu.Lock()
	defer o.mu.Unlock()
	o.deployID++
	status := "failed"
	if success {
		status = "success"
	}
	o.gitlab.AddDeployment(repoMobile, gitlabfake.Deployment{ID: o.deployID, Environment: "production", SHA: o.head, Ref: "main",
		Status: status, CreatedAt: at.Add(-6 * time.Minute), UpdatedAt: at, User: "deploy-bot"})
}

// serviceOf is the PagerDuty service that runs repo.
func serviceOf(repo string) string {
	if repo == repoMobile {
		return "mobile"
	}
	return "api"
}

func (s *Sandbox) openIncident(n int, repo, title string, at time.Time) {
	svc := serviceOf(repo)
	s.ops.pagerduty.Add(pagerdutyfake.Incident{ID: fmt.Sprintf("Q%05d", n), Number: n, Title: title, Status: "triggered",
		Urgency: "high", ServiceID: "P" + svc, Service: svc, CreatedAt: at})
}

// resolveIncident resolves incident n (opened before) at at.
func (s *Sandbox) resolveIncident(n int, at time.Time) {
	in, ok := s.ops.pagerduty.Get(fmt.Sprintf("Q%05d", n))
	if !ok {
		return
	}
	in.Status, in.ResolvedAt = "resolved", at
	s.ops.pagerduty.Add(in)
}
