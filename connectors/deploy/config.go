// Package deploy receives production deploys from any CI: a small signed JSON
// document posted to /webhooks/deploy.
package deploy

import (
	"errors"

	"github.com/goalpost/goalpost/confval"
	"github.com/goalpost/goalpost/secret"
)

// Config is the [deploy] section.
type Config struct {
	Secret secret.String `toml:"secret"`
}

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	if !c.Secret.IsSet() {
		return confval.Fieldf("secret", "required")
	}
	return errors.Join()
}
