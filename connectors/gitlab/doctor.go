package gitlab

import (
	"context"
	"fmt"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/goalpost/goalpost/internal/confval"
)

// Doctor checks, read-only, what the poller needs: each configured project
// is readable with its merge requests and deployments, and each configured
// group's projects are listable. One request per check; opts as for NewClient.
func Doctor(ctx context.Context, cfg *Config, opts ...ClientOption) []confval.Check {
	c, err := NewClient(cfg, nil, opts...)
	if err != nil {
		return []confval.Check{{Name: "gitlab: client", Detail: err.Error(), Fix: "fix [gitlab] base_url or token"}}
	}
	api, ro := c.API(), gl.WithContext(ctx)
	one := gl.ListOptions{PerPage: 1}
	var out []confval.Check
	check := func(name, fix string, call func() error) {
		out = append(out, confval.Probe("gitlab "+name, fix, func() (string, error) { return "", call() }))
	}
	for _, p := range cfg.Projects {
		fix := fmt.Sprintf("give the token read_api on %s (a Reporter role at least), or remove the project", p.Path)
		check(p.Path+": project readable", fix, func() error { _, _, err := api.Projects.GetProject(p.Path, nil, ro); return err })
		check(p.Path+": merge requests readable", fix, func() error {
			_, _, err := api.MergeRequests.ListProjectMergeRequests(p.Path, &gl.ListProjectMergeRequestsOptions{ListOptions: one}, ro)
			return err
		})
		check(p.Path+": deployments readable", fix, func() error {
			_, _, err := api.Deployments.ListProjectDeployments(p.Path, &gl.ListProjectDeploymentsOptions{ListOptions: one}, ro)
			return err
		})
	}
	for _, g := range cfg.Groups {
		check("group "+g.Path+": projects listable", "give the token read_api on the group "+g.Path+", or remove it", func() error {
			_, _, err := api.Groups.ListGroupProjects(g.Path, &gl.ListGroupProjectsOptions{ListOptions: one}, ro)
			return err
		})
	}
	return out
}
