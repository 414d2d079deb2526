// Package gitlab is the GitLab connector (gitlab.com and self-managed): it
// polls and receives merge requests, production deployments and deploy
// pipeline jobs, attributes merge requests to the production deploys that
// shipped them, and publishes the same event kinds and fields as the GitHub
// connector, so rules work unchanged whichever host the code lives on.
package gitlab

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/connectors/internal/hook"
	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
)

// Defaults for unset keys.
const (
	DefaultBaseURL           = "https://gitlab.com/api/v4"
	DefaultPollInterval      = time.Minute
	DefaultRequestsPerSecond = 10
	DefaultMaxWait           = 10 * time.Minute
	DefaultEnvironment       = "production"
)

// Token kinds: how the token is sent.
const (
	TokenPersonal = "personal" // PRIVATE-TOKEN header (personal, project or group access token)
	TokenProject  = "project"
	TokenGroup    = "group"
	TokenOAuth    = "oauth" // Authorization: Bearer
)

// Config is the [gitlab] section.
type Config struct {
	// BaseURL is the REST API root: https://gitlab.com/api/v4 by default,
	// https://HOST[/relative-root]/api/v4 for self-managed GitLab.
	BaseURL string `toml:"base_url"`
	// Token is an access token; TokenKind says which (personal, project,
	// group: sent as PRIVATE-TOKEN; oauth: sent as a Bearer token).
	Token     secret.String `toml:"token"`
	TokenKind string        `toml:"token_kind"`
	// WebhookSecret is the webhook's secret token (X-Gitlab-Token).
	WebhookSecret secret.String `toml:"webhook_secret"`
	// SigningToken is the webhook's optional signing token ("whsec_…",
	// GitLab's newer HMAC signature, the Standard Webhooks scheme): when
	// set, every delivery must carry a valid webhook-signature.
	SigningToken secret.String    `toml:"signing_token"`
	PollInterval confval.Duration `toml:"poll_interval"`
	// RequestsPerSecond spaces API requests.
	RequestsPerSecond float64 `toml:"requests_per_second"`
	// MaxWait is the longest goalpost waits on a rate limit before failing
	// the poll.
	MaxWait confval.Duration `toml:"max_wait"`
	// Since ("2026-07-01") is the history start: the first poll reads merge
	// requests and deployments from then, and the first production deploy
	// seen ships the merge requests since the last successful production
	// deployment before then (looked up; without one, those merged since).
	Since string `toml:"since"`
	// ShippedAt is when a change counts as reached production:
	// "deploy_finished" (the deploy's success, the default) or
	// "deploy_created" (its creation or start). It dates change.shipped and
	// measures lead time (docs/definitions.md).
	ShippedAt string `toml:"shipped_at"`
	// ProductionEnvironments are environment names or globs ("production"
	// when unset).
	ProductionEnvironments []string        `toml:"production_environments"`
	Projects               []ProjectConfig `toml:"projects"`
	Groups                 []GroupConfig   `toml:"groups"`
}

// ProjectConfig is one [[gitlab.projects]] entry.
type ProjectConfig struct {
	Path                   string   `toml:"path"` // group/subgroup/project
	ProductionEnvironments []string `toml:"production_environments"`
	// ShipOnMerge counts a merge request merged into the default branch as
	// shipped (continuous deploy on merge).
	ShipOnMerge bool `toml:"ship_on_merge"`
	// DeployJob names a pipeline job whose finished runs on the default
	// branch are production deploys (for pipelines that declare no
	// environment).
	DeployJob string `toml:"deploy_job"`
}

// GroupConfig is one [[gitlab.groups]] entry: every project of the group
// (and its subgroups) whose path below the group matches include and not
// exclude.
type GroupConfig struct {
	Path                   string   `toml:"path"`
	Include                []string `toml:"include"` // globs; default all
	Exclude                []string `toml:"exclude"`
	ProductionEnvironments []string `toml:"production_environments"`
	ShipOnMerge            bool     `toml:"ship_on_merge"`
	DeployJob              string   `toml:"deploy_job"`
}

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	if !c.Token.IsSet() {
		errs = append(errs, confval.Fieldf("token", "required (a personal, project or group access token)"))
	}
	switch c.TokenKind {
	case "", TokenPersonal, TokenProject, TokenGroup, TokenOAuth:
	default:
		errs = append(errs, confval.Fieldf("token_kind", "want personal, project, group or oauth, got %q", c.TokenKind))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			errs = append(errs, confval.Fieldf("base_url", "want an http(s) URL without credentials such as https://gitlab.example.com/api/v4"))
		}
	}
	if d := c.PollInterval.Duration; d != 0 && d < time.Second {
		errs = append(errs, confval.Fieldf("poll_interval", "must be at least 1s, got %s", d))
	}
	if c.RequestsPerSecond < 0 {
		errs = append(errs, confval.Fieldf("requests_per_second", "must be positive, got %g", c.RequestsPerSecond))
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
	if st := c.SigningToken.Reveal(); st != "" {
		if k, err := hook.StandardKey(st); err != nil || !strings.HasPrefix(st, "whsec_") || len(k) < 16 {
			errs = append(errs, confval.Fieldf("signing_token", "want the hook's signing token, whsec_ followed by base64"))
		}
	}
	if len(c.Projects) == 0 && len(c.Groups) == 0 {
		errs = append(errs, confval.Fieldf("projects", "name at least one [[gitlab.projects]] or [[gitlab.groups]]"))
	}
	errs = append(errs, globErrs("production_environments", c.ProductionEnvironments)...)
	errs = append(errs, c.validateTargets()...)
	return errors.Join(errs...)
}

func (c *Config) validateTargets() []error {
	var errs []error
	seen := map[string]string{}
	for i, p := range c.Projects {
		key := fmt.Sprintf("projects[%d]", i)
		if !validPath(p.Path) || !strings.Contains(p.Path, "/") {
			errs = append(errs, confval.Fieldf(key+".path", "want group/project, got %q", p.Path))
		} else if prev, dup := seen[strings.ToLower(p.Path)]; dup {
			errs = append(errs, confval.Fieldf(key+".path", "duplicate project %q (also %s)", p.Path, prev))
		} else {
			seen[strings.ToLower(p.Path)] = key
		}
		errs = append(errs, globErrs(key+".production_environments", p.ProductionEnvironments)...)
	}
	for i, g := range c.Groups {
		key := fmt.Sprintf("groups[%d]", i)
		if !validPath(g.Path) {
			errs = append(errs, confval.Fieldf(key+".path", "want a group path such as acme or acme/platform, got %q", g.Path))
		}
		errs = append(errs, globErrs(key+".include", g.Include)...)
		errs = append(errs, globErrs(key+".exclude", g.Exclude)...)
		errs = append(errs, globErrs(key+".production_environments", g.ProductionEnvironments)...)
	}
	return errs
}

func validPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		return false
	}
	return !strings.ContainsAny(p, " \t?#")
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

// baseURL is the API root with a trailing slash.
func (c *Config) baseURL() string {
	u := c.BaseURL
	if u == "" {
		u = DefaultBaseURL
	}
	return strings.TrimSuffix(u, "/") + "/"
}

// since is the configured history start (zero when unset).
func (c *Config) since() time.Time {
	t, _ := time.Parse(time.DateOnly, c.Since)
	return t
}

// settings are what applies to one project.
type settings struct {
	Environments []string
	ShipOnMerge  bool
	DeployJob    string
}

// settingsFor returns the settings of a project: its own entry, else the
// first group that selects it, else the section defaults.
func (c *Config) settingsFor(project string) settings {
	st := settings{Environments: c.ProductionEnvironments}
	for _, p := range c.Projects {
		if strings.EqualFold(p.Path, project) {
			st.ShipOnMerge, st.DeployJob = p.ShipOnMerge, p.DeployJob
			if len(p.ProductionEnvironments) > 0 {
				st.Environments = p.ProductionEnvironments
			}
			return st
		}
	}
	for _, g := range c.Groups {
		if g.selects(project) {
			st.ShipOnMerge, st.DeployJob = g.ShipOnMerge, g.DeployJob
			if len(g.ProductionEnvironments) > 0 {
				st.Environments = g.ProductionEnvironments
			}
			return st
		}
	}
	return st
}

// tracks reports whether the configuration selects project.
func (c *Config) tracks(project string) bool {
	for _, p := range c.Projects {
		if strings.EqualFold(p.Path, project) {
			return true
		}
	}
	for _, g := range c.Groups {
		if g.selects(project) {
			return true
		}
	}
	return false
}

// selects reports whether project lies in the group and passes its globs
// (matched case-insensitively on the path below the group).
func (g GroupConfig) selects(project string) bool {
	rest, ok := cutPrefixFold(project, g.Path+"/")
	if !ok {
		return false
	}
	return matchAny(g.Include, rest, true) && !matchAny(g.Exclude, rest, false)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

func matchAny(globs []string, name string, empty bool) bool {
	if len(globs) == 0 {
		return empty
	}
	for _, g := range globs {
		if ok, _ := path.Match(strings.ToLower(g), strings.ToLower(name)); ok {
			return true
		}
	}
	return false
}

// isProduction reports whether env is one of the production environments
// (case-insensitive names or globs; "production" when none are set).
func (s settings) isProduction(env string) bool {
	if env == "" {
		return false
	}
	envs := s.Environments
	if len(envs) == 0 {
		envs = []string{DefaultEnvironment}
	}
	return matchAny(envs, env, false)
}

// ApplyDefaults fills unset keys with their defaults, so that check --print
// shows the effective values.
func (c *Config) ApplyDefaults() {
	c.BaseURL = cmp.Or(c.BaseURL, DefaultBaseURL)
	c.PollInterval.Duration = c.PollInterval.Or(DefaultPollInterval)
	c.RequestsPerSecond = cmp.Or(c.RequestsPerSecond, DefaultRequestsPerSecond)
	c.MaxWait.Duration = c.MaxWait.Or(DefaultMaxWait)
}
