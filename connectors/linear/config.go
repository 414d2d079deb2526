// Package linear is the Linear connector: issues and projects over GraphQL by
// poll and webhook, and project / initiative updates written back.
package linear

import (
	"cmp"
	"errors"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
)

// Config is the [linear] section.
type Config struct {
	BaseURL       string        `toml:"base_url"` // default https://api.linear.app/graphql
	APIKey        secret.String `toml:"api_key"`
	WebhookSecret secret.String `toml:"webhook_secret"`

	// Polling (issues by updatedAt); see poll_config.go for defaults.
	Teams        []string         `toml:"teams"`         // team keys whose issues and projects are polled; empty = every team the key can read
	PollInterval confval.Duration `toml:"poll_interval"` // default 5m; webhooks are the fast path
	Overlap      confval.Duration `toml:"overlap"`       // default 2m, re-read before the cursor
	// BackfillSince ("2026-10-01") is where the first poll starts reading;
	// Backfill, the older form, a duration back from it (default 720h).
	// Deprecated: use BackfillSince.
	BackfillSince string           `toml:"backfill_since"`
	Backfill      confval.Duration `toml:"backfill"`
	PageSize      int              `toml:"page_size"`      // default 50, at most 250
	BlockedLabels []string         `toml:"blocked_labels"` // default ["Blocked"]
	BlockedStates []string         `toml:"blocked_states"` // workflow state names; default ["Blocked"]
}

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	if !c.APIKey.IsSet() {
		errs = append(errs, confval.Fieldf("api_key", "required"))
	}
	if err := confval.WebhookSecret("webhook_secret", c.WebhookSecret.Reveal()); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validatePoll()...)
	return errors.Join(errs...)
}

// ApplyDefaults fills unset keys with their defaults, so that check --print
// shows the effective values.
func (c *Config) ApplyDefaults() {
	c.BaseURL = cmp.Or(c.BaseURL, DefaultEndpoint)
	c.PollInterval.Duration = c.PollInterval.Or(DefaultPollInterval)
	c.Overlap.Duration = c.Overlap.Or(DefaultOverlap)
	c.PageSize = cmp.Or(c.PageSize, DefaultPageSize)
}
