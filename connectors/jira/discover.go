package jira

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Discovery is what the Jira credentials can see, for `goalpost init`.
type Discovery struct {
	Projects []string // project keys, as Jira lists them
	People   []Person // users assignable in those projects
}

// Person is a Jira user: Account is the Cloud accountId (the user name on
// Data Center), the handle [[people]] jira takes.
type Person struct {
	Account, Name, Email string
}

// Discover lists, read-only, the projects the API user can browse and the
// users assignable in them (at most 100). Options as for NewSource.
func Discover(ctx context.Context, cfg *Config, opts ...Option) (Discovery, error) {
	o := options{timeout: time.Minute, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	c := cfg.withDefaults()
	a, err := newAPI(&c, &o)
	if err != nil {
		return Discovery{}, err
	}
	var projects []struct {
		Key string `json:"key"`
	}
	if err := a.do(ctx, http.MethodGet, "rest/api/2/project", nil, &projects); err != nil {
		return Discovery{}, err
	}
	var d Discovery
	for _, p := range projects {
		d.Projects = append(d.Projects, p.Key)
	}
	if len(d.Projects) == 0 {
		return d, nil
	}
	var users []struct {
		AccountID    string `json:"accountId"`
		Name         string `json:"name"`
		DisplayName  string `json:"displayName"`
		EmailAddress string `json:"emailAddress"`
		AccountType  string `json:"accountType"`
	}
	q := url.Values{"projectKeys": {strings.Join(d.Projects, ",")}, "maxResults": {"100"}}
	if err := a.do(ctx, http.MethodGet, "rest/api/2/user/assignable/multiProjectSearch?"+q.Encode(), nil, &users); err != nil {
		return d, nil // people are a convenience: the projects still help
	}
	for _, u := range users {
		if u.AccountType != "" && u.AccountType != "atlassian" {
			continue // apps and customers
		}
		account := u.AccountID
		if account == "" {
			account = u.Name
		}
		d.People = append(d.People, Person{Account: account, Name: u.DisplayName, Email: u.EmailAddress})
	}
	return d, nil
}
