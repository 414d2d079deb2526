package config

import (
	"reflect"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/goalpost/goalpost/internal/secret"
)

// Redacted renders the configuration as TOML with every secret replaced by
// "[redacted]", for `goalpost check --print` and debug logs.
func (c *Config) Redacted() string {
	// Work on a deep copy (marshal and decode again) so c keeps its secrets.
	raw, err := toml.Marshal(c)
	if err != nil {
		return "# cannot render configuration: " + err.Error()
	}
	var cp Config
	if err := toml.Unmarshal(raw, &cp); err != nil {
		return "# cannot render configuration: " + err.Error()
	}
	walk(reflect.ValueOf(&cp).Elem(), "", func(v reflect.Value, _ string) {
		v.SetString(secret.String(v.String()).String())
	})
	out, err := toml.Marshal(&cp)
	if err != nil {
		return "# cannot render configuration: " + err.Error()
	}
	return string(out)
}
