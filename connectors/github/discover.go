package github

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// discoverRepoCap bounds how many repositories Discover reads.
const discoverRepoCap = 100

// Discovery is what a token can see, for `goalpost init`.
type Discovery struct {
	Repos []DiscoveredRepo
	// Logins are the authors of the repositories' recent pull requests, sorted.
	Logins []string
}

// DiscoveredRepo is one readable repository and its environments that look
// like production (named "prod*", any case).
type DiscoveredRepo struct {
	Name         string
	Environments []string
}

// Discover lists, read-only, the repositories the token can read (at most
// 100, most recently pushed first), each one's production-looking
// environments and the authors of its last 30 pull requests. A repository
// whose environments or pull requests cannot be read is kept without them.
// hc as for NewClient.
func Discover(ctx context.Context, cfg *Config, hc *http.Client) (Discovery, error) {
	c, err := NewClient(cfg, hc)
	if err != nil {
		return Discovery{}, err
	}
	api := c.API()
	opt := &gh.RepositoryListByAuthenticatedUserOptions{Sort: "pushed", ListOptions: gh.ListOptions{PerPage: 100}}
	repos, _, err := api.Repositories.ListByAuthenticatedUser(ctx, opt)
	if err != nil {
		return Discovery{}, fmt.Errorf("github list repositories: %w", err)
	}
	var d Discovery
	for _, r := range repos[:min(len(repos), discoverRepoCap)] {
		owner, name := r.GetOwner().GetLogin(), r.GetName()
		dr := DiscoveredRepo{Name: owner + "/" + name}
		if envs, _, err := api.Repositories.ListEnvironments(ctx, owner, name, &gh.EnvironmentListOptions{ListOptions: gh.ListOptions{PerPage: 100}}); err == nil {
			dr.Environments = productionLike(envs.Environments)
		}
		prs, _, err := api.PullRequests.List(ctx, owner, name, &gh.PullRequestListOptions{State: "all", ListOptions: gh.ListOptions{PerPage: 30}})
		if err == nil {
			for _, pr := range prs {
				if l := pr.GetUser().GetLogin(); l != "" && !slices.Contains(d.Logins, l) {
					d.Logins = append(d.Logins, l)
				}
			}
		}
		d.Repos = append(d.Repos, dr)
	}
	slices.Sort(d.Logins)
	return d, nil
}

// productionLike keeps the environments named prod* (any case).
func productionLike(envs []*gh.Environment) []string {
	var out []string
	for _, e := range envs {
		if ok, _ := path.Match("prod*", strings.ToLower(e.GetName())); ok {
			out = append(out, e.GetName())
		}
	}
	return out
}
