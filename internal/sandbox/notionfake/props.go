package notionfake

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// PropType is a database property type.
type PropType string

// Property types the fake supports.
const (
	Title       PropType = "title"
	RichText    PropType = "rich_text"
	Number      PropType = "number"
	Select      PropType = "select"
	MultiSelect PropType = "multi_select"
	Status      PropType = "status"
	Date        PropType = "date"
	People      PropType = "people"
	Checkbox    PropType = "checkbox"
	URL         PropType = "url"
)

// Prop is one property (column) of a database schema.
type Prop struct {
	Type PropType
	// Options are the select / multi_select / status options. A PATCH may add
	// select options (as Notion does for integrations with edit access); status
	// options can only be set here, as in Notion.
	Options []string
	// Format is a number property's format: "number" (the default),
	// "percent", "dollar", ... Notion shows a percent-formatted 0.8 as 80 %.
	Format string
}

type column struct {
	id      string
	name    string
	typ     PropType
	options []string
	format  string // number format
}

// value is one stored property value; which field is used depends on the type.
type value struct {
	rich   []richText // title, rich_text
	num    *float64
	name   *string  // select, status
	names  []string // multi_select
	date   *dateVal
	people []string
	check  bool
	url    *string
}

type dateVal struct{ Start, End, TZ string }

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// parseValue decodes one property value object of a PATCH body for col.
func parseValue(col *column, obj map[string]json.RawMessage) (value, *apiError) {
	raw, ok := obj[string(col.typ)]
	if !ok {
		return value{}, validation("%s is expected to be %s.", col.name, col.typ)
	}
	path := "body.properties." + col.name + "." + string(col.typ)
	switch col.typ {
	case Title, RichText:
		rts, e := parseRichText(path, raw)
		return value{rich: rts}, e
	case Number:
		return parseNumber(path, raw)
	case Select, Status:
		return parseOption(col, path, raw)
	case MultiSelect:
		return parseMulti(col, path, raw)
	case Date:
		return parseDate(path, raw)
	case People:
		return parsePeople(path, raw)
	case Checkbox:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return value{}, validation("body failed validation: %s should be a boolean, instead was `%s`.", path, short(raw))
		}
		return value{check: b}, nil
	case URL:
		return parseURL(path, raw)
	}
	return value{}, validation("%s is not a supported property type in notionfake.", col.typ)
}

func parseNumber(path string, raw json.RawMessage) (value, *apiError) {
	if isNull(raw) {
		return value{}, nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return value{}, validation("body failed validation: %s should be a number or `null`, instead was `%s`.", path, short(raw))
	}
	return value{num: &f}, nil
}

type optionRef struct {
	ID   string  `json:"id"`
	Name *string `json:"name"`
}

func parseOption(col *column, path string, raw json.RawMessage) (value, *apiError) {
	if isNull(raw) {
		if col.typ == Status {
			return value{}, validation("body failed validation: %s should be an object, instead was `null`.", path)
		}
		return value{}, nil
	}
	var ref optionRef
	if err := json.Unmarshal(raw, &ref); err != nil || (ref.Name == nil && ref.ID == "") {
		return value{}, validation("body failed validation: %s should be an object with a name or an id, instead was `%s`.", path, short(raw))
	}
	name, e := resolveOption(col, path, ref)
	if e != nil {
		return value{}, e
	}
	return value{name: &name}, nil
}

func resolveOption(col *column, path string, ref optionRef) (string, *apiError) {
	if ref.Name == nil {
		for _, o := range col.options {
			if optionID(col, o) == ref.ID {
				return o, nil
			}
		}
		return "", validation("Invalid %s option id: %s.", col.typ, ref.ID)
	}
	name := *ref.Name
	switch {
	case name == "":
		return "", validation("body failed validation: %s.name should be a non-empty string.", path)
	case utf8.RuneCountInString(name) > 100:
		return "", validation("body failed validation: %s.name.length should be ≤ `100`.", path)
	case strings.Contains(name, ",") && col.typ != Status:
		return "", validation("Select option names cannot contain commas.")
	}
	if !slices.Contains(col.options, name) {
		if col.typ == Status {
			return "", validation("Invalid status option. Status option %q does not exist.", name)
		}
		col.options = append(col.options, name)
	}
	return name, nil
}

func parseMulti(col *column, path string, raw json.RawMessage) (value, *apiError) {
	var refs []optionRef
	if err := json.Unmarshal(raw, &refs); err != nil {
		return value{}, validation("body failed validation: %s should be an array, instead was `%s`.", path, short(raw))
	}
	if len(refs) > maxArrayLen {
		return value{}, validation("body failed validation: %s.length should be ≤ `%d`, instead was `%d`.", path, maxArrayLen, len(refs))
	}
	v := value{names: []string{}}
	for _, ref := range refs {
		name, e := resolveOption(col, path, ref)
		if e != nil {
			return value{}, e
		}
		v.names = append(v.names, name)
	}
	return v, nil
}

func parseDate(path string, raw json.RawMessage) (value, *apiError) {
	if isNull(raw) {
		return value{}, nil
	}
	var d struct {
		Start    *string `json:"start"`
		End      *string `json:"end"`
		TimeZone *string `json:"time_zone"`
	}
	if err := json.Unmarshal(raw, &d); err != nil || d.Start == nil {
		return value{}, validation("body failed validation: %s.start should be defined, instead was `undefined`.", path)
	}
	dv := &dateVal{Start: *d.Start}
	if d.End != nil {
		dv.End = *d.End
	}
	if d.TimeZone != nil {
		dv.TZ = *d.TimeZone
	}
	for _, s := range []string{dv.Start, dv.End} {
		if s != "" && !validDate(s) {
			return value{}, validation("body failed validation: %s.start should be a valid ISO 8601 date string, instead was `%q`.", path, s)
		}
	}
	return value{date: dv}, nil
}

func validDate(s string) bool {
	for _, layout := range []string{"2006-01-02", time.RFC3339, time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

func parsePeople(path string, raw json.RawMessage) (value, *apiError) {
	var us []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &us); err != nil {
		return value{}, validation("body failed validation: %s should be an array, instead was `%s`.", path, short(raw))
	}
	if len(us) > maxArrayLen {
		return value{}, validation("body failed validation: %s.length should be ≤ `%d`, instead was `%d`.", path, maxArrayLen, len(us))
	}
	v := value{people: []string{}}
	for i, u := range us {
		id, ok := normID(u.ID)
		if !ok {
			return value{}, validation("body failed validation: %s[%d].id should be a valid uuid, instead was `%q`.", path, i, u.ID)
		}
		v.people = append(v.people, id)
	}
	return v, nil
}

func parseURL(path string, raw json.RawMessage) (value, *apiError) {
	if isNull(raw) {
		return value{}, nil
	}
	var u string
	if err := json.Unmarshal(raw, &u); err != nil {
		return value{}, validation("body failed validation: %s should be a string or `null`, instead was `%s`.", path, short(raw))
	}
	if n := utf8.RuneCountInString(u); n > maxTextLen {
		return value{}, validation("body failed validation: %s.length should be ≤ `%d`, instead was `%d`.", path, maxTextLen, n)
	}
	return value{url: &u}, nil
}

// render returns the property value object as Notion answers it.
func (s *Server) renderValue(col *column, v value) map[string]any {
	m := map[string]any{"id": col.id, "type": string(col.typ)}
	var x any
	switch col.typ {
	case Title, RichText:
		x = renderRichText(v.rich)
	case Number:
		x = v.num
	case Select, Status:
		if v.name != nil {
			x = map[string]any{"id": optionID(col, *v.name), "name": *v.name, "color": "default"}
		}
	case MultiSelect:
		opts := []map[string]any{}
		for _, n := range v.names {
			opts = append(opts, map[string]any{"id": optionID(col, n), "name": n, "color": "default"})
		}
		x = opts
	case Date:
		if v.date != nil {
			x = map[string]any{"start": v.date.Start, "end": nullable(v.date.End), "time_zone": nullable(v.date.TZ)}
		}
	case People:
		x = s.renderPeople(v.people)
	case Checkbox:
		x = v.check
	case URL:
		x = v.url
	}
	m[string(col.typ)] = x
	return m
}

func (s *Server) renderPeople(ids []string) []map[string]any {
	out := []map[string]any{}
	for _, id := range ids {
		u, ok := s.users[id]
		if !ok {
			out = append(out, map[string]any{"object": "user", "id": id})
			continue
		}
		out = append(out, map[string]any{
			"object": "user", "id": id, "name": u.Name, "avatar_url": nil, "type": "person",
			"person": map[string]any{"email": u.Email},
		})
	}
	return out
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func optionID(col *column, name string) string {
	return col.id + ":" + strings.ToLower(strings.ReplaceAll(name, " ", "-"))
}

// plain returns v as a plain Go value for read-back (see Server.Page).
func plain(col *column, v value) any {
	switch col.typ {
	case Title, RichText:
		return plainText(v.rich)
	case Number:
		if v.num == nil {
			return nil
		}
		return *v.num
	case Select, Status:
		if v.name == nil {
			return nil
		}
		return *v.name
	case MultiSelect:
		return slices.Clone(v.names)
	case Date:
		if v.date == nil {
			return nil
		}
		return v.date.Start
	case People:
		return slices.Clone(v.people)
	case Checkbox:
		return v.check
	case URL:
		if v.url == nil {
			return nil
		}
		return *v.url
	}
	return nil
}
