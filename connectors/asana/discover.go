package asana

import (
	"context"
	"net/url"
	"slices"
	"strings"
)

// discoverProjectCap bounds how many projects Discover lists per workspace.
const discoverProjectCap = 100

// Discovery is what a token can see, for `goalpost init`.
type Discovery struct {
	Projects []DiscoveredProject
	// People are the workspaces' users with an email (Asana maps people by
	// email), sorted by email.
	People []DiscoveredUser
}

// DiscoveredProject is one unarchived project of a workspace.
type DiscoveredProject struct{ GID, Name, Workspace string }

// DiscoveredUser is one user of a workspace.
type DiscoveredUser struct{ Name, Email string }

// Discover lists, read-only, the token's workspaces, each one's unarchived
// projects (at most 100) and users. A workspace whose users cannot be read
// is kept without them. opts as for NewClient.
func Discover(ctx context.Context, cfg *Config, opts ...ClientOption) (Discovery, error) {
	c := NewClient(cfg.BaseURL, cfg.Token, cfg.RequestsPerMinute, opts...)
	var workspaces []struct{ GID, Name string }
	if _, err := c.Get(ctx, "/workspaces", url.Values{"limit": {"100"}}, &workspaces); err != nil {
		return Discovery{}, err
	}
	var d Discovery
	for _, ws := range workspaces {
		var projects []struct{ GID, Name string }
		q := url.Values{"workspace": {ws.GID}, "archived": {"false"}, "limit": {"100"}}
		if _, err := c.Get(ctx, "/projects", q, &projects); err != nil {
			return Discovery{}, err
		}
		for _, p := range projects[:min(len(projects), discoverProjectCap)] {
			d.Projects = append(d.Projects, DiscoveredProject{GID: p.GID, Name: p.Name, Workspace: ws.Name})
		}
		var users []DiscoveredUser
		q = url.Values{"workspace": {ws.GID}, "opt_fields": {"name,email"}, "limit": {"100"}}
		if _, err := c.Get(ctx, "/users", q, &users); err == nil {
			for _, u := range users {
				if u.Email != "" && !slices.ContainsFunc(d.People, func(p DiscoveredUser) bool { return p.Email == u.Email }) {
					d.People = append(d.People, u)
				}
			}
		}
	}
	slices.SortFunc(d.People, func(a, b DiscoveredUser) int { return strings.Compare(a.Email, b.Email) })
	return d, nil
}
