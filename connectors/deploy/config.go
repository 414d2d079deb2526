// Package deploy receives deploy documents: the small signed JSON document
// any CI system posts to /webhooks/deploy when it deploys a repository, for
// teams whose deploys are recorded neither as GitHub deployments nor by a
// GitHub Actions workflow. Production deploys of GitHub repositories are
// attributed to the pull requests they shipped like any other deploy.
package deploy

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
)

// DefaultEnvironment is the production environment when none is configured.
const DefaultEnvironment = "production"

// Config is the [deploy] section.
type Config struct {
	// Secret signs documents: X-Goalpost-Signature-256 is
	// "sha256=" + hex(HMAC-SHA256(secret, body)).
	Secret secret.String `toml:"secret"`
	// ProductionEnvironments are names or globs ("prod-*"); documents for
	// other environments are acknowledged and ignored. Default "production".
	ProductionEnvironments []string `toml:"production_environments"`
}

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	if !c.Secret.IsSet() {
		errs = append(errs, confval.Fieldf("secret", "required"))
	}
	if err := confval.WebhookSecret("secret", c.Secret.Reveal()); err != nil {
		errs = append(errs, err)
	}
	for i, g := range c.ProductionEnvironments {
		if _, err := path.Match(g, ""); err != nil || g == "" {
			errs = append(errs, confval.Fieldf(fmt.Sprintf("production_environments[%d]", i), "bad glob %q", g))
		}
	}
	return errors.Join(errs...)
}

func (c *Config) isProduction(env string) bool {
	globs := c.ProductionEnvironments
	if len(globs) == 0 {
		globs = []string{DefaultEnvironment}
	}
	for _, g := range globs { // case-insensitive, as the GitHub connector matches environments
		if ok, _ := path.Match(strings.ToLower(g), strings.ToLower(env)); ok {
			return true
		}
	}
	return false
}
