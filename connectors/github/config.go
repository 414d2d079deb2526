// Package github is the GitHub connector: it polls and receives pull requests,
// deployments, releases and workflow runs, attributes pull requests to the
// production deploys that shipped them, and publishes normalized events.
package github

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
)

// Defaults for unset keys.
const (
	DefaultBaseURL           = "https://api.github.com/"
	DefaultPollInterval      = time.Minute
	DefaultConcurrency       = 4
	DefaultRequestsPerSecond = 10
	DefaultMaxWait           = time.Hour
	DefaultEnvironment       = "production"
)

// Config is the [github] section.
type Config struct {
	// BaseURL is the REST API root: https://api.github.com/ by default, or
	// https://HOST/api/v3/ for GitHub Enterprise Server.
	BaseURL string `toml:"base_url"`
	// Token is a personal access token; App is the alternative.
	Token         secret.String    `toml:"token"`
	App           AppConfig        `toml:"app"`
	WebhookSecret secret.String    `toml:"webhook_secret"`
	PollInterval  confval.Duration `toml:"poll_interval"`
	// Concurrency bounds how many repositories are polled at once.
	Concurrency int `toml:"concurrency"`
	// RequestsPerSecond spaces API requests (a token bucket of that size):
	// unset is DefaultRequestsPerSecond, 0 is no spacing beyond GitHub's
	// own limits (rate-limit answers are still waited out).
	RequestsPerSecond *float64 `toml:"requests_per_second"`
	// MaxWait is the longest goalpost waits on a rate limit before failing the
	// poll (the next poll tries again).
	MaxWait confval.Duration `toml:"max_wait"`
	// Since ("2026-07-01") is the backfill start: the first production deploy
	// seen of a repository ships the PRs since the last successful production
	// deploy before then (looked up; without one, the PRs merged since).
	// Unset, the first deploy seen ships nothing.
	Since string `toml:"since"`
	// ShippedAt is when a change counts as reached production:
	// "deploy_finished" (the deploy's success, the default) or
	// "deploy_created" (its creation or start). It dates change.shipped and
	// measures lead time (docs/definitions.md).
	ShippedAt string `toml:"shipped_at"`
	// ProductionEnvironments are the default production environment names or
	// globs for every repository ("production" when unset).
	ProductionEnvironments []string     `toml:"production_environments"`
	Repos                  []RepoConfig `toml:"repos"`
	Orgs                   []OrgConfig  `toml:"orgs"`
}

// AppConfig is [github.app]: authenticate as a GitHub App installation.
type AppConfig struct {
	ID             int64         `toml:"id"`
	InstallationID int64         `toml:"installation_id"`
	PrivateKey     secret.String `toml:"private_key"` // PEM
	PrivateKeyFile string        `toml:"private_key_file"`
	// HookDeliveries checks the App's own webhook (/app/hook/deliveries)
	// for failed deliveries and asks GitHub to redeliver them.
	HookDeliveries bool `toml:"hook_deliveries"`
}

func (a AppConfig) set() bool {
	return a.ID != 0 || a.InstallationID != 0 || a.PrivateKey.IsSet() || a.PrivateKeyFile != ""
}

// RepoConfig is one [[github.repos]] entry.
type RepoConfig struct {
	Name string `toml:"name"` // owner/name
	// ProductionEnvironments are names or globs ("prod-*"); default: the
	// section's production_environments.
	ProductionEnvironments []string `toml:"production_environments"`
	// ShipOnMerge counts a PR merged into the default branch as shipped.
	ShipOnMerge bool `toml:"ship_on_merge"`
	// DeployWorkflow is a GitHub Actions workflow file ("deploy.yml") whose
	// successful runs on the default branch are production deploys.
	DeployWorkflow string `toml:"deploy_workflow"`
	// HookID is the repository webhook to check for failed deliveries.
	HookID int64 `toml:"hook_id"`
}

// OrgConfig is one [[github.orgs]] entry: every repository of the
// organization whose name matches include and not exclude.
type OrgConfig struct {
	Name                   string   `toml:"name"`
	Include                []string `toml:"include"` // globs on the repo name; default all
	Exclude                []string `toml:"exclude"`
	ProductionEnvironments []string `toml:"production_environments"`
	ShipOnMerge            bool     `toml:"ship_on_merge"`
	DeployWorkflow         string   `toml:"deploy_workflow"`
	// HookID is the organization webhook to check for failed deliveries.
	HookID int64 `toml:"hook_id"`
}

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	errs = append(errs, c.validateAuth()...)
	if err := confval.WebhookSecret("webhook_secret", c.WebhookSecret.Reveal()); err != nil {
		errs = append(errs, err)
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, confval.Fieldf("base_url", "want an http(s) URL such as https://github.example.com/api/v3/, got %q", c.BaseURL))
		}
	}
	if d := c.PollInterval.Duration; d != 0 && d < time.Second {
		errs = append(errs, confval.Fieldf("poll_interval", "must be at least 1s, got %s", d))
	}
	if c.Concurrency < 0 || c.Concurrency > 32 {
		errs = append(errs, confval.Fieldf("concurrency", "must be between 1 and 32, got %d", c.Concurrency))
	}
	if c.RequestsPerSecond != nil && *c.RequestsPerSecond < 0 {
		errs = append(errs, confval.Fieldf("requests_per_second", "must be 0 (no spacing) or more, got %g", *c.RequestsPerSecond))
	}
	if c.MaxWait.Duration < 0 {
		errs = append(errs, confval.Fieldf("max_wait", "must be positive"))
	}
	if c.Since != "" {
		if _, err := time.Parse(time.DateOnly, c.Since); err != nil {
			errs = append(errs, confval.Fieldf("since", "want a date like 2026-07-01, got %q", c.Since))
		}
	}
	if c.ShippedAt != "" && !slices.Contains(attribution.ShippedAtChoices, c.ShippedAt) {
		errs = append(errs, confval.Fieldf("shipped_at", "want %s, got %q%s", strings.Join(attribution.ShippedAtChoices, " or "), c.ShippedAt,
			confval.DidYouMean(c.ShippedAt, attribution.ShippedAtChoices)))
	}
	errs = append(errs, globErrs("production_environments", c.ProductionEnvironments)...)
	errs = append(errs, c.validateRepos()...)
	errs = append(errs, c.validateOrgs()...)
	return errors.Join(errs...)
}

func (c *Config) validateAuth() []error {
	switch {
	case c.Token.IsSet() && c.App.set():
		return []error{confval.Fieldf("app", "set either token or [github.app], not both")}
	case c.Token.IsSet() && c.App.HookDeliveries:
		return []error{confval.Fieldf("app.hook_deliveries", "the App's own webhook is read as the App: configure [github.app] instead of token")}
	case c.Token.IsSet():
		return nil
	case !c.App.set():
		return []error{confval.Fieldf("token", "required (or configure [github.app])")}
	}
	var errs []error
	if c.App.ID <= 0 {
		errs = append(errs, confval.Fieldf("app.id", "required"))
	}
	if c.App.InstallationID <= 0 {
		errs = append(errs, confval.Fieldf("app.installation_id", "required"))
	}
	if c.App.PrivateKey.IsSet() == (c.App.PrivateKeyFile != "") {
		errs = append(errs, confval.Fieldf("app.private_key", "set exactly one of private_key and private_key_file"))
	}
	return errs
}

func (c *Config) validateRepos() []error {
	var errs []error
	seen := map[string]bool{}
	for i, r := range c.Repos {
		key := fmt.Sprintf("repos[%d]", i)
		if parts := strings.Split(r.Name, "/"); len(parts) != 2 || parts[0] == "" || parts[1] == "" {
			errs = append(errs, confval.Fieldf(key+".name", "want owner/name, got %q", r.Name))
		} else if seen[strings.ToLower(r.Name)] {
			errs = append(errs, confval.Fieldf(key+".name", "%s is listed twice", r.Name))
		}
		seen[strings.ToLower(r.Name)] = true
		errs = append(errs, globErrs(key+".production_environments", r.ProductionEnvironments)...)
		if strings.Contains(r.DeployWorkflow, "/") {
			errs = append(errs, confval.Fieldf(key+".deploy_workflow", "want a workflow file name such as deploy.yml, got %q", r.DeployWorkflow))
		}
	}
	return errs
}

func (c *Config) validateOrgs() []error {
	var errs []error
	for i, o := range c.Orgs {
		key := fmt.Sprintf("orgs[%d]", i)
		if o.Name == "" || strings.Contains(o.Name, "/") {
			errs = append(errs, confval.Fieldf(key+".name", "want an organization name, got %q", o.Name))
		}
		errs = append(errs, globErrs(key+".include", o.Include)...)
		errs = append(errs, globErrs(key+".exclude", o.Exclude)...)
		errs = append(errs, globErrs(key+".production_environments", o.ProductionEnvironments)...)
		if strings.Contains(o.DeployWorkflow, "/") {
			errs = append(errs, confval.Fieldf(key+".deploy_workflow", "want a workflow file name such as deploy.yml, got %q", o.DeployWorkflow))
		}
	}
	return errs
}

func globErrs(key string, globs []string) []error {
	var errs []error
	for i, g := range globs {
		if _, err := path.Match(g, ""); err != nil || g == "" {
			errs = append(errs, confval.Fieldf(fmt.Sprintf("%s[%d]", key, i), "bad glob %q", g))
		}
	}
	return errs
}

// since returns the configured backfill start, or zero.
func (c *Config) since() time.Time {
	t, _ := time.Parse(time.DateOnly, c.Since)
	return t
}

func (c *Config) productionEnvironments(own []string) []string {
	switch {
	case len(own) > 0:
		return own
	case len(c.ProductionEnvironments) > 0:
		return c.ProductionEnvironments
	}
	return []string{DefaultEnvironment}
}

// matchAny reports whether name matches one of the globs (case-insensitive).
func matchAny(globs []string, name string) bool {
	name = strings.ToLower(name)
	for _, g := range globs {
		if ok, _ := path.Match(strings.ToLower(g), name); ok {
			return true
		}
	}
	return false
}

// settings is the effective configuration of one repository.
type settings struct {
	ProductionEnvironments []string
	ShipOnMerge            bool
	DeployWorkflow         string
	HookID                 int64
}

// isProduction reports whether env is one of the repository's production
// environments.
func (s settings) isProduction(env string) bool { return matchAny(s.ProductionEnvironments, env) }

// primaryEnvironment names the environment of deploys that carry none
// (workflow runs, ship-on-merge): the first production name without glob
// characters, else "production".
func (s settings) primaryEnvironment() string {
	for _, e := range s.ProductionEnvironments {
		if !strings.ContainsAny(e, `*?[\`) {
			return e
		}
	}
	return DefaultEnvironment
}

// settingsFor returns the settings of repo ("owner/name"): its [[github.repos]]
// entry, else the first [[github.orgs]] entry that covers it, else defaults.
func (c *Config) settingsFor(repo string) settings {
	for _, r := range c.Repos {
		if strings.EqualFold(r.Name, repo) {
			return settings{c.productionEnvironments(r.ProductionEnvironments), r.ShipOnMerge, r.DeployWorkflow, r.HookID}
		}
	}
	owner, name, _ := strings.Cut(repo, "/")
	for _, o := range c.Orgs {
		if strings.EqualFold(o.Name, owner) && o.covers(name) {
			return settings{c.productionEnvironments(o.ProductionEnvironments), o.ShipOnMerge, o.DeployWorkflow, 0}
		}
	}
	return settings{ProductionEnvironments: c.productionEnvironments(nil)}
}

// tracks reports whether repo ("owner/name") is one the configuration
// selects: listed under [[github.repos]], or covered by a [[github.orgs]]
// entry. The poller reads only those; the webhook drops the others.
func (c *Config) tracks(repo string) bool {
	for _, r := range c.Repos {
		if strings.EqualFold(r.Name, repo) {
			return true
		}
	}
	owner, name, _ := strings.Cut(repo, "/")
	for _, o := range c.Orgs {
		if strings.EqualFold(o.Name, owner) && o.covers(name) {
			return true
		}
	}
	return false
}

// covers reports whether the organization entry selects the repository name.
func (o OrgConfig) covers(name string) bool {
	if len(o.Include) > 0 && !matchAny(o.Include, name) {
		return false
	}
	return !matchAny(o.Exclude, name)
}

// limiter spaces requests at requests_per_second (default
// DefaultRequestsPerSecond); nil, no spacing, when it is 0.
func (c *Config) limiter() *rate.Limiter {
	rps := float64(DefaultRequestsPerSecond)
	if c.RequestsPerSecond != nil {
		rps = *c.RequestsPerSecond
	}
	if rps == 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(rps), max(int(rps), 1))
}

// ApplyDefaults fills unset keys with their defaults, so that check --print
// shows the effective values. RequestsPerSecond stays nil when unset (nil
// is the default rate; 0 means no spacing).
func (c *Config) ApplyDefaults() {
	c.BaseURL = cmp.Or(c.BaseURL, DefaultBaseURL)
	c.PollInterval.Duration = c.PollInterval.Or(DefaultPollInterval)
	c.Concurrency = cmp.Or(c.Concurrency, DefaultConcurrency)
	c.MaxWait.Duration = c.MaxWait.Or(DefaultMaxWait)
	if c.RequestsPerSecond == nil {
		rps := float64(DefaultRequestsPerSecond)
		c.RequestsPerSecond = &rps
	}
}
