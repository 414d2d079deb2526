// Package confval holds the small value types and error helpers shared by every
// configuration section (the top-level config and each connector's config.go),
// kept apart from package config so connectors can use them without a cycle.
package confval

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Duration is a time.Duration written in TOML as a string such as "90s" or "5m".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. \"90s\", \"5m\")", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back as a string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Or returns d, or def when d is zero.
func (d Duration) Or(def time.Duration) time.Duration {
	if d.Duration == 0 {
		return def
	}
	return d.Duration
}

// FieldError is a validation error about one key, named by its dotted path
// from the root of the file ("github.repos[1].name"). The config loader turns
// the path into a file and line.
type FieldError struct {
	Key string
	Err error
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Field returns a *FieldError for key, or nil if err is nil.
func Field(key string, err error) error {
	if err == nil {
		return nil
	}
	return &FieldError{Key: key, Err: err}
}

// Fieldf is Field with a formatted message.
func Fieldf(key, format string, args ...any) error {
	return &FieldError{Key: key, Err: fmt.Errorf(format, args...)}
}

// Prefix puts prefix in front of the key of every *FieldError in err (a
// single error or an errors.Join of them); other errors become FieldErrors
// about prefix itself.
func Prefix(prefix string, err error) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range Flatten(err) {
		var fe *FieldError
		if errors.As(e, &fe) {
			key := prefix
			if fe.Key != "" {
				key = join(prefix, fe.Key)
			}
			out = append(out, &FieldError{Key: key, Err: fe.Err})
			continue
		}
		out = append(out, &FieldError{Key: prefix, Err: e})
	}
	return errors.Join(out...)
}

// Flatten splits an errors.Join tree into its leaves.
func Flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func join(prefix, key string) string {
	if strings.HasPrefix(key, "[") {
		return prefix + key
	}
	return prefix + "." + key
}

// MinSecretBytes is the shortest webhook secret accepted: a shorter one is
// guessable, and every delivery signed with it would be trusted.
const MinSecretBytes = 16

// WebhookSecret checks a webhook secret's length (unset is allowed: the
// receiver is then off); the value itself never appears in the error.
func WebhookSecret(key, value string) error {
	if value == "" || len(value) >= MinSecretBytes {
		return nil
	}
	return Fieldf(key, "is %d bytes, want at least %d (e.g. the output of `openssl rand -hex 32`)", len(value), MinSecretBytes)
}

// Date checks an optional date setting such as backfill_since = "2026-10-01":
// nil when it is empty or a date, else an error naming key.
func Date(key, value string) error {
	if value == "" {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, value); err != nil {
		return Fieldf(key, "want a date like 2026-10-01, got %q", value)
	}
	return nil
}
