// Package jira is the Jira connector (Cloud and Data Center): issues, epics and
// incidents by enhanced JQL search and by webhook.
package jira

import (
	"errors"

	"github.com/goalpost/goalpost/confval"
	"github.com/goalpost/goalpost/secret"
)

// Config is the [jira] section.
type Config struct {
	BaseURL       string        `toml:"base_url"`
	Email         string        `toml:"email"`
	Token         secret.String `toml:"token"`
	WebhookSecret secret.String `toml:"webhook_secret"`
}

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	if c.BaseURL == "" {
		errs = append(errs, confval.Fieldf("base_url", "required"))
	}
	if !c.Token.IsSet() {
		errs = append(errs, confval.Fieldf("token", "required"))
	}
	return errors.Join(errs...)
}
