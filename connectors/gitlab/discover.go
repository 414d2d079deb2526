package gitlab

import (
	"context"
	"path"
	"slices"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
)

// discoverProjectCap bounds how many projects Discover reads.
const discoverProjectCap = 100

// Discovery is what a token can see, for `goalpost init`.
type Discovery struct {
	Projects []DiscoveredProject
	// Usernames are the authors of the projects' recent merge requests, sorted.
	Usernames []string
}

// DiscoveredProject is one project the token is a member of and its
// environments that look like production (tier "production", or named
// "prod*" in any case).
type DiscoveredProject struct {
	Path         string
	Environments []string
}

// Discover lists, read-only, the projects the token is a member of (at most
// 100, most recently active first, archived ones left out), each one's
// production-looking environments and the authors of its last 30 merged
// merge requests. A project whose environments or merge requests cannot be
// read is kept without them. opts as for NewClient.
func Discover(ctx context.Context, cfg *Config, opts ...ClientOption) (Discovery, error) {
	c, err := NewClient(cfg, nil, opts...)
	if err != nil {
		return Discovery{}, err
	}
	api, ro := c.API(), gl.WithContext(ctx)
	lo := &gl.ListProjectsOptions{Membership: gl.Ptr(true), Archived: gl.Ptr(false), Simple: gl.Ptr(true),
		OrderBy: gl.Ptr("last_activity_at"), ListOptions: gl.ListOptions{PerPage: discoverProjectCap}}
	projects, _, err := api.Projects.ListProjects(lo, ro)
	if err != nil {
		return Discovery{}, apiErr("gitlab list projects", err)
	}
	var d Discovery
	for _, p := range projects[:min(len(projects), discoverProjectCap)] {
		dp := DiscoveredProject{Path: p.PathWithNamespace}
		envs, _, err := api.Environments.ListEnvironments(p.PathWithNamespace, &gl.ListEnvironmentsOptions{States: gl.Ptr("available"),
			ListOptions: gl.ListOptions{PerPage: 100}}, ro)
		if err == nil {
			dp.Environments = productionLike(envs)
		}
		mo := &gl.ListProjectMergeRequestsOptions{State: gl.Ptr("merged"), ListOptions: gl.ListOptions{PerPage: 30}}
		if mrs, _, err := api.MergeRequests.ListProjectMergeRequests(p.PathWithNamespace, mo, ro); err == nil {
			for _, mr := range mrs {
				if u := mr.Author; u != nil && u.Username != "" && !slices.Contains(d.Usernames, u.Username) {
					d.Usernames = append(d.Usernames, u.Username)
				}
			}
		}
		d.Projects = append(d.Projects, dp)
	}
	slices.Sort(d.Usernames)
	return d, nil
}

// productionLike keeps the environments of GitLab's production tier or
// named prod* (any case).
func productionLike(envs []*gl.Environment) []string {
	var out []string
	for _, e := range envs {
		named, _ := path.Match("prod*", strings.ToLower(e.Name))
		if e.Tier == "production" || named {
			out = append(out, e.Name)
		}
	}
	return out
}
