// Package github is the GitHub connector: it polls and receives pull requests,
// deployments, releases and workflow runs, attributes pull requests to the
// production deploys that shipped them, and publishes normalized events.
package github

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goalpost/goalpost/confval"
	"github.com/goalpost/goalpost/secret"
)

// Config is the [github] section.
type Config struct {
	// BaseURL is the REST API root: https://api.github.com/ by default, or
	// https://HOST/api/v3/ for GitHub Enterprise Server.
	BaseURL       string           `toml:"base_url"`
	Token         secret.String    `toml:"token"`
	WebhookSecret secret.String    `toml:"webhook_secret"`
	PollInterval  confval.Duration `toml:"poll_interval"`
	Repos         []RepoConfig     `toml:"repos"`
}

// RepoConfig is one [[github.repos]] entry.
type RepoConfig struct {
	Name                   string   `toml:"name"` // owner/name
	ProductionEnvironments []string `toml:"production_environments"`
	ShipOnMerge            bool     `toml:"ship_on_merge"`
}

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	if !c.Token.IsSet() {
		errs = append(errs, confval.Fieldf("token", "required"))
	}
	for i, r := range c.Repos {
		if parts := strings.Split(r.Name, "/"); len(parts) != 2 || parts[0] == "" || parts[1] == "" {
			errs = append(errs, confval.Fieldf(fmt.Sprintf("repos[%d].name", i), "want owner/name, got %q", r.Name))
		}
	}
	return errors.Join(errs...)
}
