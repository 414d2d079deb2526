package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/goalpost/goalpost/internal/confval"
)

// maxDecodeErrors bounds how many wrongly typed values one decode reports.
const maxDecodeErrors = 50

// decode decodes src strictly into c and reports every problem the decoder
// finds, not just the first: each unknown key (with a "did you mean" for a
// near miss), and each value of the wrong type, found by decoding again
// without the line that held the previous one. A syntax error stops it (what
// follows cannot be read reliably).
func (c *Config) decode(src []byte) []error {
	var errs []error
	seen := map[int]bool{}
	for range maxDecodeErrors {
		*c = Config{path: c.path, lines: c.lines}
		dec := toml.NewDecoder(bytes.NewReader(src))
		dec.DisallowUnknownFields()
		err := dec.Decode(c)
		var strict *toml.StrictMissingError
		var de *toml.DecodeError
		switch {
		case err == nil:
			return errs
		case errors.As(err, &strict):
			return append(errs, c.unknownKeys(strict)...)
		case !errors.As(err, &de):
			return append(errs, &Error{File: c.path, Err: fmt.Errorf("decode: %w", err)})
		}
		row, _ := de.Position()
		if len(de.Key()) == 0 || seen[row] || row < 1 {
			if len(errs) == 0 { // a syntax error after removing a line is that removal's doing
				errs = append(errs, &Error{File: c.path, Line: row, Err: errors.New(inWords(de.Error()))})
			}
			return errs
		}
		seen[row] = true
		key := c.lines.keyAt(row, strings.Join(de.Key(), "."))
		msg := inWords(de.Error()) + quotedNumber(src, row)
		errs = append(errs, &Error{File: c.path, Line: row, Key: key, Err: errors.New(msg), Stands: key})
		src = blankLine(src, row)
	}
	return errs
}

// unknownKeys turns the decoder's unknown keys into errors with their line
// and the nearest known key of the same table.
func (c *Config) unknownKeys(strict *toml.StrictMissingError) []error {
	var errs []error
	for _, e := range strict.Errors {
		row, _ := e.Position()
		key := e.Key()
		full := c.lines.keyAt(row, strings.Join(key, "."))
		ce := &Error{File: c.path, Line: row, Key: full, Err: errors.New("unknown key")}
		if len(key) > 0 {
			if s := confval.Suggest(key[len(key)-1], keysAt(reflect.TypeOf(Config{}), key[:len(key)-1])); s != "" {
				ce.Err = fmt.Errorf("unknown key; did you mean %q?", s)
				ce.Stands = strings.TrimSuffix(full, key[len(key)-1]) + s
			}
		}
		errs = append(errs, ce)
	}
	return errs
}

// keysAt lists the TOML keys of the table at path in t ("objectives",
// "key_results" → the keys of a key result).
func keysAt(t reflect.Type, path []string) []string {
	for {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			t = t.Elem()
			continue
		case reflect.Map:
			if len(path) == 0 {
				return nil
			}
			t, path = t.Elem(), path[1:]
			continue
		case reflect.Struct:
		default:
			return nil
		}
		fields := structKeys(t)
		if len(path) == 0 {
			keys := make([]string, 0, len(fields))
			for k := range fields {
				keys = append(keys, k)
			}
			return keys
		}
		next, ok := fields[path[0]]
		if !ok {
			return nil
		}
		t, path = next, path[1:]
	}
}

// structKeys maps the TOML keys of struct t (embedded structs flattened) to
// their types.
func structKeys(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case f.Anonymous && name == "":
			for k, v := range structKeys(f.Type) {
				out[k] = v
			}
		case name != "":
			out[name] = f.Type
		}
	}
	return out
}

var decodeTypeError = regexp.MustCompile(`cannot (?:decode|store) TOML (\w+)(?: \([^)]*\))? into .*?(?:of )?type ([\w.\[\]*]+)`)

// inWords rewrites a decoder message without Go type names: "want a number,
// got text".
func inWords(msg string) string {
	msg = strings.TrimPrefix(msg, "toml: ")
	m := decodeTypeError.FindStringSubmatch(msg)
	if m == nil {
		return goTypes.ReplaceAllString(msg, "a value")
	}
	return fmt.Sprintf("want %s, got %s", goTypeWords(m[2]), tomlTypeWords(m[1]))
}

// goTypes matches qualified Go type names ("rules.KeyResult") left in a message.
var goTypes = regexp.MustCompile(`\b[a-z]\w*\.[A-Z]\w*(\.\w+)?`)

func goTypeWords(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map"), strings.Contains(t, "."):
		return "a table"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "a whole number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "text in quotes"
	}
	return "another kind of value"
}

func tomlTypeWords(t string) string {
	switch strings.ToLower(t) {
	case "string":
		return "text"
	case "integer", "float":
		return "a number"
	case "boolean", "bool":
		return "true or false"
	case "array":
		return "a list"
	case "table", "inlinetable":
		return "a table"
	}
	return "a " + strings.ToLower(t)
}

// quotedNumber suggests the number without its quotes when line n sets a
// key to a quoted number (target = "10").
func quotedNumber(src []byte, n int) string {
	lines := bytes.Split(src, []byte("\n"))
	if n-1 >= len(lines) {
		return ""
	}
	_, v, ok := strings.Cut(string(lines[n-1]), "=")
	v, _, _ = strings.Cut(strings.TrimSpace(v), "#")
	v = strings.TrimSpace(v)
	if !ok || len(v) < 3 || (v[0] != '"' && v[0] != '\'') || v[len(v)-1] != v[0] {
		return ""
	}
	if _, err := strconv.ParseFloat(v[1:len(v)-1], 64); err != nil {
		return ""
	}
	return fmt.Sprintf("; did you mean %s (without quotes)?", v[1:len(v)-1])
}

// blankLine returns src with line n (from 1) emptied.
func blankLine(src []byte, n int) []byte {
	lines := bytes.Split(src, []byte("\n"))
	if n-1 < len(lines) {
		lines[n-1] = nil
	}
	return bytes.Join(lines, []byte("\n"))
}
