package notionfake

import (
	"encoding/json"
	"maps"
	"time"
)

// blockTypes are the block types the fake stores; the value says whether the
// type carries rich_text.
var blockTypes = map[string]bool{
	"paragraph": true, "heading_1": true, "heading_2": true, "heading_3": true,
	"callout": true, "quote": true, "bulleted_list_item": true, "numbered_list_item": true,
	"to_do": true, "toggle": true, "code": true, "divider": false,
}

// Notion's limits on appending children.
const (
	maxChildren = 100
	maxDepth    = 2
)

type block struct {
	id      string
	typ     string
	parent  string
	onPage  bool // parent is a page
	trashed bool
	created time.Time
	edited  time.Time
	rich    []richText
	extra   map[string]json.RawMessage // other fields of the type object: color, icon, checked, ...
}

// container resolves a page or block id that can hold children.
func (s *Server) container(raw string) (id string, onPage, trashed bool, e *apiError) {
	id, ok := normID(raw)
	if !ok {
		return "", false, false, badPathID("block_id", raw)
	}
	if p, ok := s.pages[id]; ok && p.shared {
		return id, true, p.trashed, nil
	}
	if b, ok := s.blocks[id]; ok && s.visible(b) {
		return id, false, b.trashed, nil
	}
	return "", false, false, notFound("block", id)
}

// visible reports whether b's page is shared with the integration.
func (s *Server) visible(b *block) bool {
	for b != nil {
		if b.onPage {
			p, ok := s.pages[b.parent]
			return ok && p.shared
		}
		b = s.blocks[b.parent]
	}
	return false
}

func (s *Server) lookupBlock(raw string) (*block, *apiError) {
	id, ok := normID(raw)
	if !ok {
		return nil, badPathID("block_id", raw)
	}
	b, ok := s.blocks[id]
	if !ok || !s.visible(b) {
		return nil, notFound("block", id)
	}
	return b, nil
}

func (s *Server) getBlock(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pages[normOr(c.id())]; ok && p.shared {
		c.ok(s.renderPageBlock(p))
		return
	}
	b, e := s.lookupBlock(c.id())
	if e != nil {
		c.failErr(e)
		return
	}
	c.ok(s.renderBlock(b))
}

func (s *Server) listChildren(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _, _, e := s.container(c.id())
	if e != nil {
		c.failErr(e)
		return
	}
	var kids []*block
	for _, kid := range s.children[id] {
		if b := s.blocks[kid]; !b.trashed {
			kids = append(kids, b)
		}
	}
	q := c.r.URL.Query()
	var cursor *string
	var size *int
	if v := q.Get("start_cursor"); v != "" {
		cursor = &v
	}
	if v := q.Get("page_size"); v != "" {
		var n int
		if err := json.Unmarshal([]byte(v), &n); err != nil {
			c.failErr(validation("page_size should be a number, instead was `%q`.", v))
			return
		}
		size = &n
	}
	paginate(c, kids, func(b *block) string { return b.id }, func(b *block) any { return s.renderBlock(b) }, cursor, size, "block")
}

func (s *Server) appendChildren(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, onPage, trashed, e := s.container(c.id())
	if e != nil {
		c.failErr(e)
		return
	}
	if trashed {
		c.failErr(validation("Can't edit block that is archived. You must unarchive the block before editing."))
		return
	}
	var body struct {
		Children []map[string]json.RawMessage `json:"children"`
		After    string                       `json:"after"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil || body.Children == nil {
		c.failErr(validation("body failed validation: body.children should be defined, instead was `undefined`."))
		return
	}
	created, e := s.buildBlocks("body.children", body.Children, parent, onPage, 1)
	if e != nil {
		c.failErr(e)
		return
	}
	s.insert(parent, body.After, created)
	s.touch(parent)
	results := []any{}
	for _, b := range created {
		if b.parent == parent {
			results = append(results, s.renderBlock(b))
		}
	}
	c.ok(map[string]any{"object": "list", "results": results, "next_cursor": nil, "has_more": false, "type": "block", "block": map[string]any{}})
}

// buildBlocks validates raw children (and their nested children) and returns
// the new blocks, parents before children; nothing is stored yet.
func (s *Server) buildBlocks(path string, raws []map[string]json.RawMessage, parent string, onPage bool, depth int) ([]*block, *apiError) {
	if len(raws) > maxChildren {
		return nil, validation("body failed validation: %s.length should be ≤ `%d`, instead was `%d`.", path, maxChildren, len(raws))
	}
	if depth > maxDepth {
		return nil, validation("body failed validation: %s exceeds the maximum nesting depth of %d.", path, maxDepth)
	}
	var out []*block
	for i, raw := range raws {
		p := path + "[" + itoa(i) + "]"
		typ, content, e := blockContent(p, raw)
		if e != nil {
			return nil, e
		}
		b := &block{id: newID(), typ: typ, parent: parent, onPage: onPage, created: s.now(), edited: s.now()}
		nested, e := b.setContent(p+"."+typ, content)
		if e != nil {
			return nil, e
		}
		out = append(out, b)
		if len(nested) > 0 {
			kids, e := s.buildBlocks(p+"."+typ+".children", nested, b.id, false, depth+1)
			if e != nil {
				return nil, e
			}
			out = append(out, kids...)
		}
	}
	return out, nil
}

// blockContent finds a block's type and its type object.
func blockContent(path string, raw map[string]json.RawMessage) (string, map[string]json.RawMessage, *apiError) {
	var typ string
	if t, ok := raw["type"]; ok {
		_ = json.Unmarshal(t, &typ)
	} else {
		for k := range raw {
			if _, ok := blockTypes[k]; ok {
				typ = k
			}
		}
	}
	if _, ok := blockTypes[typ]; !ok {
		return "", nil, validation("body failed validation: %s should be a supported block type (notionfake supports paragraph, headings, callout, quote, list items, to_do, toggle, code, divider).", path)
	}
	var content map[string]json.RawMessage
	if err := json.Unmarshal(raw[typ], &content); err != nil || content == nil {
		return "", nil, validation("body failed validation: %s.%s should be an object.", path, typ)
	}
	return typ, content, nil
}

// setContent applies a type object to b, returning nested children to create.
func (b *block) setContent(path string, content map[string]json.RawMessage) ([]map[string]json.RawMessage, *apiError) {
	if b.extra == nil {
		b.extra = map[string]json.RawMessage{}
	}
	var nested []map[string]json.RawMessage
	for k, v := range content {
		switch k {
		case "rich_text":
			if !blockTypes[b.typ] {
				return nil, validation("body failed validation: %s.rich_text should be not present.", path)
			}
			rts, e := parseRichText(path+".rich_text", v)
			if e != nil {
				return nil, e
			}
			b.rich = rts
		case "children":
			if err := json.Unmarshal(v, &nested); err != nil {
				return nil, validation("body failed validation: %s.children should be an array.", path)
			}
		default:
			b.extra[k] = v
		}
	}
	return nested, nil
}

// insert stores blocks and links the top-level ones under parent, after the
// block after (or at the end).
func (s *Server) insert(parent, after string, blocks []*block) {
	var top []string
	for _, b := range blocks {
		s.blocks[b.id] = b
		if b.parent == parent {
			top = append(top, b.id)
		} else {
			s.children[b.parent] = append(s.children[b.parent], b.id)
		}
	}
	kids := s.children[parent]
	at := len(kids)
	if id, ok := normID(after); ok {
		for i, k := range kids {
			if k == id {
				at = i + 1
			}
		}
	}
	s.children[parent] = append(kids[:at:at], append(top, kids[at:]...)...)
}

func (s *Server) updateBlock(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := s.lookupBlock(c.id())
	if e != nil {
		c.failErr(e)
		return
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &body); err != nil || body == nil {
		c.failErr(validation("body failed validation: body should be an object."))
		return
	}
	if e := s.applyBlockPatch(b, body); e != nil {
		c.failErr(e)
		return
	}
	c.ok(s.renderBlock(b))
}

func (s *Server) applyBlockPatch(b *block, body map[string]json.RawMessage) *apiError {
	trash, e := trashFlag(body)
	if e != nil {
		return e
	}
	raw, hasContent := body[b.typ]
	for k := range body {
		if k != b.typ && k != "archived" && k != "in_trash" && k != "type" {
			return validation("body failed validation: body.%s should be not present (block %s is a %s).", k, b.id, b.typ)
		}
	}
	if b.trashed && hasContent && (trash == nil || *trash) {
		return validation("Can't edit block that is archived. You must unarchive the block before editing.")
	}
	next := *b
	next.extra = maps.Clone(b.extra)
	if hasContent {
		var content map[string]json.RawMessage
		if err := json.Unmarshal(raw, &content); err != nil || content == nil {
			return validation("body failed validation: body.%s should be an object.", b.typ)
		}
		delete(content, "children")
		if _, e := next.setContent("body."+b.typ, content); e != nil {
			return e
		}
	}
	if trash != nil {
		next.trashed = *trash
	}
	next.edited = s.now()
	*b = next
	s.touch(b.id)
	return nil
}

func (s *Server) deleteBlock(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pages[normOr(c.id())]; ok && p.shared {
		p.trashed = true
		c.ok(s.renderPageBlock(p))
		return
	}
	b, e := s.lookupBlock(c.id())
	if e != nil {
		c.failErr(e)
		return
	}
	b.trashed = true
	b.edited = s.now()
	s.touch(b.id)
	c.ok(s.renderBlock(b))
}

// touch moves the last_edited_time of the page that holds id (a page, or a
// block at any depth) to now, as Notion does when a page's content changes.
func (s *Server) touch(id string) {
	for {
		if p, ok := s.pages[id]; ok {
			p.edited = s.now()
			return
		}
		b, ok := s.blocks[id]
		if !ok {
			return
		}
		id = b.parent
	}
}

func normOr(id string) string {
	if n, ok := normID(id); ok {
		return n
	}
	return id
}

func (s *Server) renderBlock(b *block) map[string]any {
	content := map[string]any{}
	for k, v := range b.extra {
		content[k] = v
	}
	if blockTypes[b.typ] {
		content["rich_text"] = renderRichText(b.rich)
		if _, ok := content["color"]; !ok {
			content["color"] = "default"
		}
	}
	parent := map[string]any{"type": "block_id", "block_id": b.parent}
	if b.onPage {
		parent = map[string]any{"type": "page_id", "page_id": b.parent}
	}
	return map[string]any{
		"object": "block", "id": b.id, "parent": parent,
		"created_time": stamp(b.created), "last_edited_time": stamp(b.edited),
		"created_by":     map[string]any{"object": "user", "id": botID},
		"last_edited_by": map[string]any{"object": "user", "id": botID},
		"has_children":   s.hasChildren(b.id),
		"archived":       b.trashed, "in_trash": b.trashed,
		"type": b.typ, b.typ: content,
	}
}

// hasChildren reports whether id has a child that is not in the trash, as
// Notion's has_children does.
func (s *Server) hasChildren(id string) bool {
	for _, kid := range s.children[id] {
		if !s.blocks[kid].trashed {
			return true
		}
	}
	return false
}

func (s *Server) renderPageBlock(p *page) map[string]any {
	title := ""
	for _, name := range p.db.names {
		if col := p.db.cols[name]; col.typ == Title {
			title = plainText(p.props[name].rich)
		}
	}
	return map[string]any{
		"object": "block", "id": p.id, "type": "child_page", "child_page": map[string]any{"title": title},
		"archived": p.trashed, "in_trash": p.trashed, "has_children": s.hasChildren(p.id),
		"created_time": stamp(p.created), "last_edited_time": stamp(p.edited),
	}
}
