// Package asana is the Asana connector: tasks of configured projects by poll
// (modified_since) and webhook (X-Hook-Secret handshake, X-Hook-Signature),
// mapped to the issue events Jira and Linear produce, and Asana Goals written
// back (metric current value and a status update).
package asana

import (
	"cmp"
	"errors"
	"net/url"
	"regexp"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
)

// DefaultBaseURL is Asana's REST API.
const DefaultBaseURL = "https://app.asana.com/api/1.0"

// Defaults of the optional keys.
const (
	DefaultPollInterval = 5 * time.Minute
	DefaultOverlap      = 2 * time.Minute
	DefaultBackfill     = 30 * 24 * time.Hour
	DefaultPageSize     = 100 // Asana's maximum limit
	// DefaultRequestsPerMinute is the free plan's per-token limit; paid
	// plans allow 1,500.
	DefaultRequestsPerMinute = 150
)

// Config is the [asana] section.
type Config struct {
	BaseURL string        `toml:"base_url"` // default https://app.asana.com/api/1.0
	Token   secret.String `toml:"token"`    // personal access token or OAuth token
	// Projects are the gids of the projects whose tasks are read.
	Projects []string `toml:"projects"`
	// Webhooks turns on the receiver at /webhooks/asana. Asana chooses the
	// signing secret per webhook and sends it once, in the handshake; it is
	// kept in the store (see docs/adr/0017-asana-webhook-secrets.md).
	Webhooks bool `toml:"webhooks"`
	// WebhookURL is the public URL of /webhooks/asana as Asana reaches it
	// (e.g. https://goalpost.example.com/webhooks/asana). Set, it turns on
	// the receiver and goalpost registers one webhook per project itself
	// (ADR 0049): the missing ones at start, re-checked hourly.
	WebhookURL string `toml:"webhook_url"`

	PollInterval confval.Duration `toml:"poll_interval"` // default 5m
	Overlap      confval.Duration `toml:"overlap"`       // default 2m, re-read before the cursor
	// BackfillSince ("2026-10-01") is where the first poll starts reading
	// tasks modified since; default: Backfill before the first poll.
	BackfillSince string `toml:"backfill_since"`
	// Backfill is the older form, a duration back from the first poll
	// (default 720h). Deprecated: use BackfillSince.
	Backfill          confval.Duration `toml:"backfill"`
	PageSize          int              `toml:"page_size"`           // default 100 (Asana's maximum)
	RequestsPerMinute int              `toml:"requests_per_minute"` // default 150 (free plan); 1500 on paid plans
	BlockedTags       []string         `toml:"blocked_tags"`        // default ["Blocked"]
	BlockedSections   []string         `toml:"blocked_sections"`    // default ["Blocked"]
	// CanceledTags mark a completed task as canceled (out of ratios, like
	// Jira's "Won't Do"). Default none.
	CanceledTags []string `toml:"canceled_tags"`
}

var gid = regexp.MustCompile(`^[0-9]{1,30}$`)

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	if !c.Token.IsSet() {
		errs = append(errs, confval.Fieldf("token", "required"))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, confval.Fieldf("base_url", "must be an http(s) URL such as %s", DefaultBaseURL))
		}
	}
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
			errs = append(errs, confval.Fieldf("webhook_url", "must be an http(s) URL without a query, such as https://goalpost.example.com/webhooks/asana"))
		}
	}
	if len(c.Projects) == 0 {
		errs = append(errs, confval.Fieldf("projects", "list at least one project gid"))
	}
	for i, p := range c.Projects {
		if !gid.MatchString(p) {
			errs = append(errs, confval.Fieldf("projects", "entry %d %q is not a project gid (digits)", i, p))
		}
	}
	if d := c.PollInterval.Duration; d != 0 && d < 30*time.Second {
		errs = append(errs, confval.Fieldf("poll_interval", "must be at least 30s"))
	}
	if c.Overlap.Duration < 0 || c.Backfill.Duration < 0 {
		errs = append(errs, confval.Fieldf("overlap", "overlap and backfill must not be negative"))
	}
	if err := confval.Date("backfill_since", c.BackfillSince); err != nil {
		errs = append(errs, err)
	}
	if c.PageSize < 0 || c.PageSize > 100 {
		errs = append(errs, confval.Fieldf("page_size", "must be between 1 and 100"))
	}
	if c.RequestsPerMinute < 0 {
		errs = append(errs, confval.Fieldf("requests_per_minute", "must not be negative"))
	}
	return errors.Join(errs...)
}

// settings are the keys with defaults applied.
type settings struct {
	projects        []string
	interval        time.Duration
	overlap         time.Duration
	backfill        time.Duration
	since           string // backfill_since, "" when unset
	pageSize        int
	blockedTags     []string
	blockedSections []string
	canceledTags    []string
}

func (c *Config) settings() settings {
	s := settings{
		projects: c.Projects, interval: c.PollInterval.Or(DefaultPollInterval),
		overlap: c.Overlap.Or(DefaultOverlap), backfill: c.Backfill.Or(DefaultBackfill),
		since:    c.BackfillSince,
		pageSize: c.PageSize, blockedTags: c.BlockedTags, blockedSections: c.BlockedSections,
		canceledTags: c.CanceledTags,
	}
	if s.pageSize == 0 {
		s.pageSize = DefaultPageSize
	}
	if s.blockedTags == nil {
		s.blockedTags = []string{"Blocked"}
	}
	if s.blockedSections == nil {
		s.blockedSections = []string{"Blocked"}
	}
	return s
}

func (c *Config) baseURL() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return c.BaseURL
}

// ApplyDefaults fills unset keys with their defaults, so that check --print
// shows the effective values.
func (c *Config) ApplyDefaults() {
	c.BaseURL = cmp.Or(c.BaseURL, DefaultBaseURL)
	c.PollInterval.Duration = c.PollInterval.Or(DefaultPollInterval)
	c.Overlap.Duration = c.Overlap.Or(DefaultOverlap)
	c.Backfill.Duration = c.Backfill.Or(DefaultBackfill)
	c.PageSize = cmp.Or(c.PageSize, DefaultPageSize)
	c.RequestsPerMinute = cmp.Or(c.RequestsPerMinute, DefaultRequestsPerMinute)
}
