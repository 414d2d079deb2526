package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/goalpost/goalpost/internal/confval"
)

// Error is one problem with a configuration file, located by file, line and key.
type Error struct {
	File string
	Line int // 0 when unknown
	Key  string
	Err  error
	// Stands is the key a value of the wrong type or a misspelt key stands
	// for (Key, or "…target" for "…tagret"): errors about that key found
	// later, such as a missing target, follow from this one.
	Stands string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key == "" {
		return fmt.Sprintf("%s: %v", loc, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", loc, e.Key, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Load reads path, decodes it strictly, expands ${ENV} references in secrets
// (using lookup; nil means the process environment), applies defaults and
// validates. Every error is a *Error (several are joined with errors.Join).
// Error messages never contain secret values.
func Load(path string, lookup func(string) (string, bool)) (*Config, error) {
	src, err := read(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src, lookup)
}

func read(path string) ([]byte, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Err: fmt.Errorf("read: %w", errors.Unwrap(err))}
	}
	return src, nil
}

// LoadForCheck is Load for `goalpost check`, which validates a file where its
// secrets are not available (CI, a laptop): an unset ${VAR} is not an error
// but a warning naming file, line and key, and the secret is checked as if it
// held a placeholder. Everything else fails as in Load, except that with
// errors the configuration as far as it could be read comes back too (nil
// only when the file cannot be read), so check can report the errors of its
// rules at the same time.
func LoadForCheck(path string, lookup func(string) (string, bool)) (*Config, []string, error) {
	cfg, err := loadLenient(path, lookup)
	if cfg == nil {
		return nil, nil, err
	}
	var warnings []string
	for _, e := range cfg.unset {
		warnings = append(warnings, e.Error())
	}
	return cfg, warnings, err
}

// LoadLenient is Load where an unset ${VAR} is not an error: the secret is
// validated as if it held a placeholder and then left empty, and
// RequireSecrets reports it. Commands load with it and require the secrets
// of the services they talk to, so that reading the store (status, explain)
// needs no secret at all.
func LoadLenient(path string, lookup func(string) (string, bool)) (*Config, error) {
	cfg, err := loadLenient(path, lookup)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// loadLenient is LoadLenient returning the configuration as far as it could
// be read along with its errors (nil when the file cannot be read).
func loadLenient(path string, lookup func(string) (string, bool)) (*Config, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var unset []string
	tolerant := func(name string) (string, bool) {
		if v, ok := lookup(name); ok && v != "" {
			return v, true
		}
		unset = append(unset, name)
		return "https://env.invalid/" + name, true // shaped to pass URL checks too
	}
	src, err := read(path)
	if err != nil {
		return nil, err
	}
	cfg, err := parse(path, src, tolerant)
	walk(reflect.ValueOf(cfg).Elem(), "", func(v reflect.Value, key string) {
		for _, name := range unset {
			if v.String() == "https://env.invalid/"+name {
				cfg.unset = append(cfg.unset, &Error{File: path, Line: cfg.lines.line(key), Key: key,
					Err: fmt.Errorf("environment variable %s is not set here (run and sync need it)", name)})
				v.SetString("")
			}
		}
	})
	return cfg, err
}

// RequireSecrets fails, naming file, line, key and variable, when a secret
// left empty by LoadLenient (its ${VAR} is not set) is in one of sections
// ("github", "report", …), or with except, in any section but those.
func (c *Config) RequireSecrets(except bool, sections ...string) error {
	var errs []error
	for _, e := range c.unset {
		in := slices.ContainsFunc(sections, func(s string) bool {
			return e.Key == s || strings.HasPrefix(e.Key, s+".")
		})
		if in != except {
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

// Parse is Load for a file already in memory; path is used in messages.
func Parse(path string, src []byte, lookup func(string) (string, bool)) (*Config, error) {
	c, err := parse(path, src, lookup)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// parse is Parse that reports every error it finds (unknown keys, values
// of the wrong type, failed validation) and returns the configuration as far
// as it could be read, even with errors, for check to go on with.
func parse(path string, src []byte, lookup func(string) (string, bool)) (*Config, error) {
	c := &Config{path: path, lines: indexLines(src)}
	errs := c.decode(src)
	if err := expandSecrets(c, lookup); err != nil {
		errs = append(errs, c.locate(err))
	}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		errs = append(errs, c.locate(err))
	}
	return c, errors.Join(errs...)
}

// locate turns confval.FieldErrors into *Error with the line that sets the key.
func (c *Config) locate(err error) error {
	var errs []error
	for _, e := range confval.Flatten(err) {
		var fe *confval.FieldError
		if errors.As(e, &fe) {
			errs = append(errs, &Error{File: c.path, Line: c.lines.line(fe.Key), Key: fe.Key, Err: fe.Err})
			continue
		}
		errs = append(errs, &Error{File: c.path, Err: e})
	}
	return errors.Join(errs...)
}

// LocateKey returns file:line for a key path, for errors found after Load
// (such as rule compilation in `goalpost check`).
func (c *Config) LocateKey(err error) error { return c.locate(err) }
