package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
)

var secretType = reflect.TypeOf(secret.String(""))

// expandSecrets replaces ${VAR} in every secret.String field, wherever it is
// in the configuration, reporting unset variables by key path. A secret key
// written in the file with an empty value is an error too: an empty webhook
// secret would silently accept unsigned requests, so goalpost refuses to start.
func expandSecrets(c *Config, lookup func(string) (string, bool)) error {
	var errs []error
	walk(reflect.ValueOf(c).Elem(), "", func(v reflect.Value, key string) {
		s := secret.String(v.String())
		out, err := s.Expand(lookup)
		if err != nil {
			errs = append(errs, confval.Field(key, err))
			return
		}
		if _, written := c.lines[key]; written && out == "" {
			errs = append(errs, confval.Fieldf(key, "is empty: set a value or remove the key"))
			return
		}
		v.SetString(string(out))
	})
	return errors.Join(errs...)
}

// walk visits every settable secret.String below v, passing its TOML key path.
func walk(v reflect.Value, key string, fn func(reflect.Value, string)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walk(v.Elem(), key, fn)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("toml"), ",")[0]
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			walk(v.Field(i), join(key, name), fn)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walk(v.Index(i), fmt.Sprintf("%s[%d]", key, i), fn)
		}
	case reflect.Map:
		// Maps of secrets are not used; maps are walked for nested structs only.
	case reflect.String:
		if v.Type() == secretType && v.CanSet() {
			fn(v, key)
		}
	}
}
