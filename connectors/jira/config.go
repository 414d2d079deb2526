// Package jira is the Jira connector (Cloud and Data Center): issues, epics and
// incidents by enhanced JQL search and by webhook.
package jira

import (
	"cmp"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
)

// Deployments.
const (
	DeploymentCloud      = "cloud"
	DeploymentDataCenter = "datacenter"
)

// Defaults applied by the constructors when a key is unset.
const (
	DefaultPollInterval = 2 * time.Minute
	DefaultOverlap      = 2 * time.Minute
	DefaultBackfill     = 30 * 24 * time.Hour
	DefaultPageSize     = 100
	// FlagFieldName is the name of Jira Software's "Flagged" (Impediment)
	// field, whose id differs between sites (customfield_10021 on many).
	FlagFieldName = "Flagged"
)

// Config is the [jira] section.
type Config struct {
	BaseURL string `toml:"base_url"`
	// Email is the Atlassian account of a Cloud API token (basic auth). Leave
	// it empty on Data Center / Server: Token is then a personal access token
	// sent as a Bearer token.
	Email         string        `toml:"email"`
	Token         secret.String `toml:"token"`
	WebhookSecret secret.String `toml:"webhook_secret"`
	// Deployment is "cloud" (default; enhanced search /search/jql) or
	// "datacenter" (Jira Data Center / Server, which has no /search/jql).
	Deployment string `toml:"deployment"`
	// Projects are the project keys polled; JQL is further ANDed to them.
	// At least one of the two is required (Jira rejects unbounded searches).
	Projects     []string         `toml:"projects"`
	JQL          string           `toml:"jql"`
	PollInterval confval.Duration `toml:"poll_interval"` // default 2m
	Overlap      confval.Duration `toml:"overlap"`       // default 2m
	// BackfillSince ("2026-10-01") is where the first poll starts reading
	// issues updated since; default: Backfill before the first poll.
	BackfillSince string `toml:"backfill_since"`
	// Backfill is the older form, a duration back from the first poll
	// (default 720h). Deprecated: use BackfillSince.
	Backfill confval.Duration `toml:"backfill"`
	PageSize int              `toml:"page_size"` // default 100
	// StoryPointsField is the custom field holding story points
	// (e.g. "customfield_10016"); it becomes Numbers["story_points"].
	StoryPointsField string `toml:"story_points_field"`
	// EpicLinkField is the classic "Epic Link" field (e.g. "customfield_10014")
	// for sites that still use it; the parent epic is always read.
	EpicLinkField string `toml:"epic_link_field"`
	// NumberFields maps event number names to numeric custom fields,
	// e.g. { customer_tickets = "customfield_10050" }.
	NumberFields map[string]string `toml:"number_fields"`
	Blocked      BlockedRule       `toml:"blocked"`
}

// BlockedRule says when an issue counts as blocked: flagged, carrying one
// of Labels, or in one of Statuses (names compared case-insensitively).
type BlockedRule struct {
	// FlagField is the "Flagged" field's id; unset, the field named Flagged
	// is found at start; an id the site does not have fails the poll; "-"
	// disables.
	FlagField string   `toml:"flag_field"`
	Labels    []string `toml:"labels"`   // default ["blocked"]
	Statuses  []string `toml:"statuses"` // default ["Blocked"]
}

var (
	projectKey = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,254}$`)
	fieldID    = regexp.MustCompile(`^(customfield_[0-9]+|[a-z][A-Za-z0-9_]*)$`)
)

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	if err := confval.WebhookSecret("webhook_secret", c.WebhookSecret.Reveal()); err != nil {
		errs = append(errs, err)
	}
	if c.BaseURL == "" {
		errs = append(errs, confval.Fieldf("base_url", "required"))
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, confval.Fieldf("base_url", "must be an http(s) URL such as https://acme.atlassian.net"))
	}
	if !c.Token.IsSet() {
		errs = append(errs, confval.Fieldf("token", "required"))
	}
	switch c.Deployment {
	case "", DeploymentCloud:
		if c.Email == "" {
			errs = append(errs, confval.Fieldf("email", "required on Jira Cloud (the API token's account)"))
		}
	case DeploymentDataCenter:
	default:
		errs = append(errs, confval.Fieldf("deployment", "must be %q or %q", DeploymentCloud, DeploymentDataCenter))
	}
	if len(c.Projects) == 0 && strings.TrimSpace(c.JQL) == "" {
		errs = append(errs, confval.Fieldf("projects", "set projects or jql (Jira rejects unbounded searches)"))
	}
	if strings.Contains(strings.ToLower(c.JQL), "order by") {
		errs = append(errs, confval.Fieldf("jql", "must be a filter only: goalpost adds its own ORDER BY"))
	}
	for i, p := range c.Projects {
		if !projectKey.MatchString(p) {
			errs = append(errs, confval.Fieldf("projects", "entry %d %q is not a project key such as AUTH", i, p))
		}
	}
	errs = append(errs, c.validatePolling()...)
	errs = append(errs, c.validateFields()...)
	return errors.Join(errs...)
}

func (c *Config) validatePolling() []error {
	var errs []error
	if d := c.PollInterval.Duration; d != 0 && d < 10*time.Second {
		errs = append(errs, confval.Fieldf("poll_interval", "must be at least 10s"))
	}
	if c.Overlap.Duration < 0 {
		errs = append(errs, confval.Fieldf("overlap", "must not be negative"))
	}
	if c.Backfill.Duration < 0 {
		errs = append(errs, confval.Fieldf("backfill", "must not be negative"))
	}
	if err := confval.Date("backfill_since", c.BackfillSince); err != nil {
		errs = append(errs, err)
	}
	if c.PageSize < 0 || c.PageSize > 5000 {
		errs = append(errs, confval.Fieldf("page_size", "must be between 1 and 5000"))
	}
	return errs
}

func (c *Config) validateFields() []error {
	var errs []error
	check := func(key, v string) {
		if v != "" && !fieldID.MatchString(v) {
			errs = append(errs, confval.Fieldf(key, "%q is not a field id such as customfield_10016", v))
		}
	}
	check("story_points_field", c.StoryPointsField)
	check("epic_link_field", c.EpicLinkField)
	if c.Blocked.FlagField != "-" {
		check("blocked.flag_field", c.Blocked.FlagField)
	}
	for name, id := range c.NumberFields {
		if strings.TrimSpace(name) == "" {
			errs = append(errs, confval.Fieldf("number_fields", "empty name"))
		}
		check("number_fields."+name, id)
		if id == "" {
			errs = append(errs, confval.Fieldf("number_fields."+name, "empty field id"))
		}
	}
	return errs
}

// withDefaults returns a copy of c with unset keys set to their defaults.
func (c Config) withDefaults() Config {
	if c.Deployment == "" {
		c.Deployment = DeploymentCloud
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	c.PollInterval.Duration = c.PollInterval.Or(DefaultPollInterval)
	if c.Overlap.Duration == 0 {
		c.Overlap.Duration = DefaultOverlap
	}
	c.Backfill.Duration = c.Backfill.Or(DefaultBackfill)
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.Blocked.Labels == nil {
		c.Blocked.Labels = []string{"blocked"}
	}
	if c.Blocked.Statuses == nil {
		c.Blocked.Statuses = []string{"Blocked"}
	}
	return c
}

// since is the configured history start (zero when unset).
func (c *Config) since() time.Time {
	t, _ := time.Parse(time.DateOnly, c.BackfillSince)
	return t
}

// ApplyDefaults fills unset keys with their defaults, so that check --print
// shows the effective values (base_url has none: it names the site).
func (c *Config) ApplyDefaults() {
	c.PollInterval.Duration = c.PollInterval.Or(DefaultPollInterval)
	c.Overlap.Duration = c.Overlap.Or(DefaultOverlap)
	c.PageSize = cmp.Or(c.PageSize, DefaultPageSize)
}
