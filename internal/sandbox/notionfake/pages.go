package notionfake

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

const botID = "00000000-0000-4000-8000-00000000b0de"

type database struct {
	id      string
	title   string
	cols    map[string]*column // by name
	names   []string           // column names in schema order
	created time.Time
	sources []source // data sources (2025-09-03); rows live in the first
}

func (d *database) col(key string) *column {
	if c, ok := d.cols[key]; ok {
		return c
	}
	for _, c := range d.cols {
		if c.id == key {
			return c
		}
	}
	return nil
}

type page struct {
	id      string
	db      *database // the parent database, or a one-column schema for standalone pages
	parent  string    // database id, or "" for a workspace page
	source  int       // the index of its data source in the parent database
	shared  bool
	trashed bool
	created time.Time
	edited  time.Time
	props   map[string]value // by column name
}

func (s *Server) lookupPage(raw string) (*page, *apiError) {
	id, ok := normID(raw)
	if !ok {
		return nil, badPathID("page_id", raw)
	}
	p, ok := s.pages[id]
	if !ok || !p.shared {
		return nil, notFound("page", id)
	}
	return p, nil
}

func (s *Server) getPage(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.lookupPage(c.id())
	if e != nil {
		c.failErr(e)
		return
	}
	c.ok(s.renderPage(p, c.dataSources()))
}

var pageKeys = map[string]bool{"properties": true, "archived": true, "in_trash": true, "icon": true, "cover": true}

func (s *Server) patchPage(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.lookupPage(c.id())
	if e != nil {
		c.failErr(e)
		return
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &body); err != nil || body == nil {
		c.failErr(validation("body failed validation: body should be an object, instead was `%s`.", short(c.body)))
		return
	}
	if e := s.applyPagePatch(p, body); e != nil {
		c.failErr(e)
		return
	}
	c.ok(s.renderPage(p, c.dataSources()))
}

// applyPagePatch validates the whole body first, then applies it: a request
// that fails changes nothing.
func (s *Server) applyPagePatch(p *page, body map[string]json.RawMessage) *apiError {
	for k := range body {
		if !pageKeys[k] {
			return validation("body failed validation: body.%s should be not present, instead was `%s`.", k, short(body[k]))
		}
	}
	trash, e := trashFlag(body)
	if e != nil {
		return e
	}
	updates, e := s.parseProps(p, body["properties"])
	if e != nil {
		return e
	}
	if p.trashed && (trash == nil || *trash) && len(updates) > 0 {
		return validation("Can't edit block that is archived. You must unarchive the block before editing.")
	}
	if trash != nil {
		if p.trashed && !*trash {
			s.restores++
		}
		p.trashed = *trash
	}
	for name, v := range updates {
		p.props[name] = v
	}
	p.edited = s.now()
	return nil
}

// trashFlag reads "archived" or "in_trash" (nil when neither is sent).
func trashFlag(body map[string]json.RawMessage) (*bool, *apiError) {
	var out *bool
	for _, k := range []string{"archived", "in_trash"} {
		raw, ok := body[k]
		if !ok {
			continue
		}
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, validation("body failed validation: body.%s should be a boolean, instead was `%s`.", k, short(raw))
		}
		out = &b
	}
	return out, nil
}

func (s *Server) parseProps(p *page, raw json.RawMessage) (map[string]value, *apiError) {
	if len(raw) == 0 || isNull(raw) {
		return nil, nil
	}
	var props map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &props); err != nil {
		return nil, validation("body failed validation: body.properties should be an object, instead was `%s`.", short(raw))
	}
	out := make(map[string]value, len(props))
	for key, obj := range props {
		col := p.db.col(key)
		if col == nil {
			return nil, validation("%s is not a property that exists.", key)
		}
		v, e := parseValue(col, obj)
		if e != nil {
			return nil, e
		}
		out[col.name] = v
	}
	return out, nil
}

// renderPage renders p; under 2025-09-03 (dataSources) a database row's
// parent names its data source too.
func (s *Server) renderPage(p *page, dataSources bool) map[string]any {
	props := map[string]any{}
	for _, name := range p.db.names {
		col := p.db.cols[name]
		props[name] = s.renderValue(col, p.props[name])
	}
	parent := map[string]any{"type": "workspace", "workspace": true}
	switch {
	case p.parent != "" && dataSources:
		parent = map[string]any{"type": "data_source_id", "data_source_id": p.db.sources[p.source].id, "database_id": p.parent}
	case p.parent != "":
		parent = map[string]any{"type": "database_id", "database_id": p.parent}
	}
	return map[string]any{
		"object": "page", "id": p.id,
		"created_time": stamp(p.created), "last_edited_time": stamp(p.edited),
		"created_by":     map[string]any{"object": "user", "id": botID},
		"last_edited_by": map[string]any{"object": "user", "id": botID},
		"cover":          nil, "icon": nil, "parent": parent,
		"archived": p.trashed, "in_trash": p.trashed,
		"properties": props,
		"url":        "https://www.notion.so/" + strings.ReplaceAll(p.id, "-", ""),
		"public_url": nil,
	}
}

func (s *Server) lookupDatabase(raw string) (*database, *apiError) {
	id, ok := normID(raw)
	if !ok {
		return nil, badPathID("database_id", raw)
	}
	d, ok := s.databases[id]
	if !ok {
		return nil, notFound("database", id)
	}
	return d, nil
}

func (s *Server) getDatabase(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, e := s.lookupDatabase(c.id())
	if e != nil {
		c.failErr(e)
		return
	}
	if c.dataSources() {
		c.ok(s.renderContainer(d))
		return
	}
	if e := d.singleSource(); e != nil {
		c.failErr(e)
		return
	}
	c.ok(d.render())
}

// render is the database object of Notion-Version 2022-06-28.
func (d *database) render() map[string]any {
	return map[string]any{
		"object": "database", "id": d.id, "title": renderRichText(textRich(d.title)),
		"created_time": stamp(d.created), "last_edited_time": stamp(d.created),
		"properties": d.schema(), "archived": false, "in_trash": false, "is_inline": false,
		"parent": map[string]any{"type": "workspace", "workspace": true},
	}
}

// searchDatabases serves POST /v1/search with the 2022-06-28 filter
// {"property":"object","value":"database"}: every single-source database,
// by id, in one page. Other filters are a 400, as Notion answers an
// unknown filter value.
func (s *Server) searchDatabases(c *call) {
	var body struct {
		Filter struct{ Property, Value string } `json:"filter"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil || body.Filter.Property != "object" || body.Filter.Value != "database" {
		c.fail(400, "validation_error", `body.filter.value should be "page" or "database" (the fake serves databases only).`)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	results := []any{}
	for _, id := range slices.Sorted(maps.Keys(s.databases)) {
		if d := s.databases[id]; d.singleSource() == nil {
			results = append(results, d.render())
		}
	}
	c.ok(map[string]any{"object": "list", "results": results, "next_cursor": nil, "has_more": false})
}

// schema renders the database's properties with their options.
func (d *database) schema() map[string]any {
	props := map[string]any{}
	for _, name := range d.names {
		col := d.cols[name]
		conf := map[string]any{}
		if col.typ == Select || col.typ == Status || col.typ == MultiSelect {
			opts := []map[string]any{}
			for _, o := range col.options {
				opts = append(opts, map[string]any{"id": optionID(col, o), "name": o, "color": "default"})
			}
			conf["options"] = opts
		}
		if col.typ == Number {
			conf["format"] = cmp.Or(col.format, "number")
		}
		props[name] = map[string]any{"id": col.id, "name": name, "type": string(col.typ), string(col.typ): conf}
	}
	return props
}

type queryBody struct {
	StartCursor *string         `json:"start_cursor"`
	PageSize    *int            `json:"page_size"`
	Filter      json.RawMessage `json:"filter"`
	Sorts       json.RawMessage `json:"sorts"`
}

func (s *Server) queryDatabase(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, e := s.lookupDatabase(c.id())
	if e == nil && !c.dataSources() {
		e = d.singleSource()
	}
	if e != nil {
		c.failErr(e)
		return
	}
	s.query(c, d, 0)
}

// query answers one page of a query of the rows of d's src-th data source.
func (s *Server) query(c *call, d *database, src int) {
	var q queryBody
	if len(c.body) > 0 {
		if err := json.Unmarshal(c.body, &q); err != nil {
			c.failErr(validation("body failed validation: body should be an object, instead was `%s`.", short(c.body)))
			return
		}
	}
	if len(q.Sorts) > 0 && !isNull(q.Sorts) {
		c.failErr(validation("notionfake: sorts are not supported; query without them and sort client-side."))
		return
	}
	since, e := editedSince(q.Filter)
	if e != nil {
		c.failErr(e)
		return
	}
	list := []*page{}
	for _, id := range s.order {
		p := s.pages[id]
		// Notion rounds last_edited_time down to the minute, in filters too.
		if p.source == src && p.parent == d.id && p.shared && !p.trashed && !p.edited.Truncate(time.Minute).Before(since) {
			list = append(list, p)
		}
	}
	paginate(c, list, func(p *page) string { return p.id }, func(p *page) any { return s.renderPage(p, c.dataSources()) }, q.StartCursor, q.PageSize, "page_or_database")
}

// editedSince reads the one filter the fake supports, a timestamp filter
// {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": T}};
// no filter is the zero time. Any other filter is a 400 naming the limit.
func editedSince(raw json.RawMessage) (time.Time, *apiError) {
	if len(raw) == 0 || isNull(raw) {
		return time.Time{}, nil
	}
	var f struct {
		Timestamp      string `json:"timestamp"`
		LastEditedTime *struct {
			OnOrAfter string `json:"on_or_after"`
		} `json:"last_edited_time"`
	}
	unsupported := validation("notionfake: only the filter {\"timestamp\": \"last_edited_time\", \"last_edited_time\": {\"on_or_after\": …}} is supported; filter other properties client-side.")
	if err := json.Unmarshal(raw, &f); err != nil || f.Timestamp != "last_edited_time" || f.LastEditedTime == nil {
		return time.Time{}, unsupported
	}
	t, err := time.Parse(time.RFC3339, f.LastEditedTime.OnOrAfter)
	if err != nil {
		return time.Time{}, validation("body failed validation: body.filter.last_edited_time.on_or_after should be a valid ISO 8601 date string, instead was `%q`.", f.LastEditedTime.OnOrAfter)
	}
	return t, nil
}

// paginate answers one page of a list, the cursor being the id of the first
// item of the next page (as Notion's cursors are).
func paginate[T any](c *call, items []T, idOf func(T) string, render func(T) any, cursor *string, size *int, typ string) {
	start, n, e := window(len(items), func(i int) string { return idOf(items[i]) }, cursor, size)
	if e != nil {
		c.failErr(e)
		return
	}
	results := []any{}
	for _, it := range items[start : start+n] {
		results = append(results, render(it))
	}
	var next any
	if start+n < len(items) {
		next = idOf(items[start+n])
	}
	c.ok(map[string]any{
		"object": "list", "results": results, "next_cursor": next,
		"has_more": start+n < len(items), "type": typ, typ: map[string]any{},
	})
}

// window resolves start_cursor and page_size (default and max 100) over n items.
func window(n int, idAt func(int) string, cursor *string, size *int) (start, count int, e *apiError) {
	ps := 100
	if size != nil {
		if *size < 1 || *size > 100 {
			return 0, 0, validation("body failed validation: body.page_size should be ≤ `100` and ≥ `1`, instead was `%d`.", *size)
		}
		ps = *size
	}
	if cursor != nil && *cursor != "" {
		start = -1
		for i := 0; i < n; i++ {
			if idAt(i) == *cursor {
				start = i
				break
			}
		}
		if start < 0 {
			return 0, 0, validation("The start_cursor provided is invalid: %s", *cursor)
		}
	}
	return start, min(ps, n-start), nil
}
