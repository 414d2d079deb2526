// Package incidentio is the incident.io connector: it polls API v2
// incidents and receives signed (Svix) webhooks, and publishes
// incident.opened and incident.resolved (with restore_seconds) events
// through the shared incident model (connectors/incident).
package incidentio

import (
	"cmp"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/goalpost/goalpost/connectors/internal/hook"
	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
)

// Defaults for unset keys.
const (
	DefaultBaseURL           = "https://api.incident.io"
	DefaultPollInterval      = 5 * time.Minute
	DefaultMaxWait           = 5 * time.Minute
	DefaultServiceField      = "Affected service"
	DefaultResolvedTimestamp = "Resolved"
)

// Config is the [incidentio] section.
type Config struct {
	BaseURL string        `toml:"base_url"`
	Token   secret.String `toml:"token"` // API key, sent as a Bearer token
	// WebhookSecret is the webhook endpoint's signing secret ("whsec_…");
	// it enables /webhooks/incidentio.
	WebhookSecret secret.String    `toml:"webhook_secret"`
	PollInterval  confval.Duration `toml:"poll_interval"`
	MaxWait       confval.Duration `toml:"max_wait"`
	// Since ("2026-07-01") is where the first poll starts (default: 30 days back).
	Since string `toml:"since"`
	// ServiceField is the custom field naming an incident's service
	// (default "Affected service"); without it the incident type is the service.
	ServiceField string `toml:"service_field"`
	// ResolvedTimestamp is the incident timestamp that marks resolution
	// (default "Resolved"); without it the last update of a closed incident.
	ResolvedTimestamp string `toml:"resolved_timestamp"`
}

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	if !c.Token.IsSet() {
		errs = append(errs, confval.Fieldf("token", "required (an API key with incident read access)"))
	}
	if ws := c.WebhookSecret.Reveal(); strings.HasPrefix(ws, "whsec_") {
		if _, err := signingKey(ws); err != nil {
			errs = append(errs, confval.Fieldf("webhook_secret", "want the endpoint's signing secret, whsec_ followed by base64"))
		}
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

// signingKey decodes a Svix signing secret ("whsec_" + base64).
func signingKey(s string) ([]byte, error) { return hook.StandardKey(s) }

func (c *Config) baseURL() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimSuffix(c.BaseURL, "/")
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// ApplyDefaults fills unset keys with their defaults, so that check --print
// shows the effective values.
func (c *Config) ApplyDefaults() {
	c.BaseURL = cmp.Or(c.BaseURL, DefaultBaseURL)
	c.PollInterval.Duration = c.PollInterval.Or(DefaultPollInterval)
	c.MaxWait.Duration = c.MaxWait.Or(DefaultMaxWait)
	c.ServiceField = cmp.Or(c.ServiceField, DefaultServiceField)
	c.ResolvedTimestamp = cmp.Or(c.ResolvedTimestamp, DefaultResolvedTimestamp)
}
