// Package secret holds the type for configuration values that must never be
// printed: tokens, webhook secrets, passwords.
package secret

import (
	"fmt"
	"log/slog"
	"os"
	"regexp"
)

// Redacted is what a set secret prints as.
const Redacted = "[redacted]"

// String is a secret configuration value. It prints, logs and marshals as
// "[redacted]" (or "" when unset); only Reveal returns the value.
type String string

// Reveal returns the secret value, for the one place that sends it.
func (s String) Reveal() string { return string(s) }

// IsSet reports whether the secret has a value.
func (s String) IsSet() bool { return s != "" }

func (s String) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString keeps %#v from printing the value.
func (s String) GoString() string { return fmt.Sprintf("secret.String(%q)", s.String()) }

// LogValue keeps slog from printing the value.
func (s String) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps encoders (JSON, TOML) from printing the value.
func (s String) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Expand replaces ${VAR} references with the environment's values. It fails,
// naming the variable but never a value, when a referenced variable is unset
// or empty.
func (s String) Expand(lookup func(string) (string, bool)) (String, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var missing string
	out := envRef.ReplaceAllStringFunc(string(s), func(ref string) string {
		name := envRef.FindStringSubmatch(ref)[1]
		v, ok := lookup(name)
		if (!ok || v == "") && missing == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("environment variable %s is not set", missing)
	}
	return String(out), nil
}
