// Package notion is the Notion connector: it writes key-result progress to
// Notion pages through jomei/notionapi and can read key results from a
// Notion database.
package notion

import (
	"errors"

	"github.com/goalpost/goalpost/confval"
	"github.com/goalpost/goalpost/secret"
)

// Config is the [notion] section.
type Config struct {
	BaseURL string        `toml:"base_url"` // default https://api.notion.com/v1/
	Token   secret.String `toml:"token"`
}

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	if !c.Token.IsSet() {
		errs = append(errs, confval.Fieldf("token", "required"))
	}
	return errors.Join(errs...)
}
