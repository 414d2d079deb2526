package linear

import "context"

// discoverQuery reads the teams, projects and people the key can see.
const discoverQuery = `query GoalpostDiscover {
  teams(first: 250) { nodes { key name } }
  projects(first: 100) { nodes { id name } }
  users(first: 250) { nodes { id name email active } }
}`

// Discovery is what a Linear API key can see, for `goalpost init`.
type Discovery struct {
	Teams    []Named // Key and Name
	Projects []Named // ID and Name
	People   []Person
}

// Named is a team (Key) or project (ID) with its name.
type Named struct{ Key, ID, Name string }

// Person is an active Linear user; ID is the [[people]] linear handle.
type Person struct{ ID, Name, Email string }

// Discover lists, read-only, the key's teams, projects (first 100) and
// active users, in one request. Options as for NewClient.
func Discover(ctx context.Context, cfg *Config, opts ...ClientOption) (Discovery, error) {
	var v struct {
		Teams    struct{ Nodes []struct{ Key, Name string } }
		Projects struct{ Nodes []struct{ ID, Name string } }
		Users    struct {
			Nodes []struct {
				ID, Name, Email string
				Active          bool
			}
		}
	}
	if err := NewClient(cfg.BaseURL, cfg.APIKey, opts...).Do(ctx, discoverQuery, nil, &v); err != nil {
		return Discovery{}, err
	}
	var d Discovery
	for _, t := range v.Teams.Nodes {
		d.Teams = append(d.Teams, Named{Key: t.Key, Name: t.Name})
	}
	for _, p := range v.Projects.Nodes {
		d.Projects = append(d.Projects, Named{ID: p.ID, Name: p.Name})
	}
	for _, u := range v.Users.Nodes {
		if u.Active {
			d.People = append(d.People, Person{ID: u.ID, Name: u.Name, Email: u.Email})
		}
	}
	return d, nil
}
