package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// How long repository facts are trusted before they are read again: a
// default branch rarely changes, an organization gains repositories now
// and then.
const (
	repoTTL = time.Hour
	orgTTL  = 15 * time.Minute
)

// repoMeta is what goalpost needs to know of a repository.
type repoMeta struct {
	FullName      string // GitHub's spelling, used in every event id
	DefaultBranch string
	Archived      bool
}

// target is a repository to poll with its effective settings.
type target struct {
	repoMeta
	settings settings
}

// repoCache reads and remembers repositories and organization listings.
type repoCache struct {
	api *gh.Client
	cfg *Config
	now func() time.Time

	mu    sync.Mutex
	repos map[string]cached[repoMeta]
	orgs  map[string]cached[[]repoMeta]
}

type cached[T any] struct {
	v  T
	at time.Time
}

func newRepoCache(api *gh.Client, cfg *Config, now func() time.Time) *repoCache {
	return &repoCache{api: api, cfg: cfg, now: now, repos: map[string]cached[repoMeta]{}, orgs: map[string]cached[[]repoMeta]{}}
}

// targets lists the repositories to poll: the listed ones, then the
// organizations' (not archived, selected by include/exclude). A repository
// that cannot be read is reported and skipped.
func (c *repoCache) targets(ctx context.Context) ([]target, error) {
	var out []target
	var errs []error
	seen := map[string]bool{}
	for _, r := range c.cfg.Repos {
		m, err := c.get(ctx, r.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		seen[strings.ToLower(m.FullName)] = true
		out = append(out, target{m, c.cfg.settingsFor(m.FullName)})
	}
	for _, o := range c.cfg.Orgs {
		repos, err := c.org(ctx, o.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, m := range repos {
			_, name, _ := strings.Cut(m.FullName, "/")
			if m.Archived || seen[strings.ToLower(m.FullName)] || !o.covers(name) {
				continue
			}
			seen[strings.ToLower(m.FullName)] = true
			out = append(out, target{m, c.cfg.settingsFor(m.FullName)})
		}
	}
	return out, errors.Join(errs...)
}

// get returns a repository's facts, reading them at most once per repoTTL.
func (c *repoCache) get(ctx context.Context, fullName string) (repoMeta, error) {
	key := strings.ToLower(fullName)
	c.mu.Lock()
	e, ok := c.repos[key]
	c.mu.Unlock()
	if ok && c.now().Sub(e.at) < repoTTL {
		return e.v, nil
	}
	owner, name, _ := strings.Cut(fullName, "/")
	r, _, err := c.api.Repositories.Get(ctx, owner, name)
	if err != nil {
		return repoMeta{}, fmt.Errorf("repository %s: %w", fullName, err)
	}
	m := metaOf(r)
	c.put(m)
	return m, nil
}

func (c *repoCache) put(m repoMeta) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.repos[strings.ToLower(m.FullName)] = cached[repoMeta]{m, c.now()}
}

func metaOf(r *gh.Repository) repoMeta {
	return repoMeta{FullName: r.GetFullName(), DefaultBranch: r.GetDefaultBranch(), Archived: r.GetArchived()}
}

// org lists an organization's repositories, at most once per orgTTL.
func (c *repoCache) org(ctx context.Context, org string) ([]repoMeta, error) {
	key := strings.ToLower(org)
	c.mu.Lock()
	e, ok := c.orgs[key]
	c.mu.Unlock()
	if ok && c.now().Sub(e.at) < orgTTL {
		return e.v, nil
	}
	var out []repoMeta
	opt := &gh.RepositoryListByOrgOptions{Type: "all", ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.api.Repositories.ListByOrg(ctx, org, opt)
		if err != nil {
			return nil, fmt.Errorf("repositories of %s: %w", org, err)
		}
		for _, r := range page {
			m := metaOf(r)
			out = append(out, m)
			c.put(m)
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	c.mu.Lock()
	c.orgs[key] = cached[[]repoMeta]{out, c.now()}
	c.mu.Unlock()
	return out, nil
}

// remember records a repository seen in a webhook payload.
func (c *repoCache) remember(r *gh.Repository) {
	if r.GetFullName() != "" && r.GetDefaultBranch() != "" {
		c.put(metaOf(r))
	}
}
