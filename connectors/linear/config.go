// Package linear is the Linear connector: issues and projects over GraphQL by
// poll and webhook, and project / initiative updates written back.
package linear

import (
	"errors"

	"github.com/goalpost/goalpost/confval"
	"github.com/goalpost/goalpost/secret"
)

// Config is the [linear] section.
type Config struct {
	BaseURL       string        `toml:"base_url"` // default https://api.linear.app/graphql
	APIKey        secret.String `toml:"api_key"`
	WebhookSecret secret.String `toml:"webhook_secret"`
}

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	if !c.APIKey.IsSet() {
		errs = append(errs, confval.Fieldf("api_key", "required"))
	}
	return errors.Join(errs...)
}
