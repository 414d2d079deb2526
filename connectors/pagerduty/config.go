// Package pagerduty is the PagerDuty connector: it polls REST API v2
// incidents and receives V3 webhooks, and publishes incident.opened and
// incident.resolved (with restore_seconds) events through the shared
// incident model (connectors/incident).
package pagerduty

import (
	"cmp"
	"errors"
	"net/url"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
)

// Defaults for unset keys.
const (
	DefaultBaseURL      = "https://api.pagerduty.com"
	DefaultPollInterval = 5 * time.Minute
	DefaultMaxWait      = 5 * time.Minute
)

// Config is the [pagerduty] section.
type Config struct {
	BaseURL string `toml:"base_url"`
	// Token is a REST API key (account or user), sent as "Token token=…".
	Token secret.String `toml:"token"`
	// WebhookSecret is the V3 webhook subscription's signing secret; it
	// enables /webhooks/pagerduty.
	WebhookSecret secret.String    `toml:"webhook_secret"`
	PollInterval  confval.Duration `toml:"poll_interval"`
	MaxWait       confval.Duration `toml:"max_wait"`
	// Since ("2026-07-01") is where the first poll starts (default: 30 days
	// back).
	Since string `toml:"since"`
	// ServiceIDs limits polling to these services (default: all).
	ServiceIDs []string `toml:"service_ids"`
}

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	if !c.Token.IsSet() {
		errs = append(errs, confval.Fieldf("token", "required (a REST API key)"))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			errs = append(errs, confval.Fieldf("base_url", "want an http(s) URL without credentials"))
		}
	}
	if d := c.PollInterval.Duration; d != 0 && d < time.Second {
		errs = append(errs, confval.Fieldf("poll_interval", "must be at least 1s, got %s", d))
	}
	if c.Since != "" {
		if _, err := time.Parse(time.DateOnly, c.Since); err != nil {
			errs = append(errs, confval.Fieldf("since", "want a date like 2026-07-01, got %q", c.Since))
		}
	}
	return errors.Join(errs...)
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
	c.MaxWait.Duration = c.MaxWait.Or(DefaultMaxWait)
}
