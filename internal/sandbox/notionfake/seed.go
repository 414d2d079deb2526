package notionfake

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// User is a workspace member, for people properties.
type User struct {
	ID    string
	Name  string
	Email string
}

// AddUser registers a workspace member (its id must be a UUID).
func (s *Server) AddUser(u User) error {
	id, ok := normID(u.ID)
	if !ok {
		return fmt.Errorf("user id %q is not a uuid", u.ID)
	}
	u.ID = id
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = u
	return nil
}

// GoalsSchema is the schema of a key-results database as goalpost expects it
// by default: a title, the Key that ties a row to the config, an owner, and
// the properties goalpost writes.
func GoalsSchema() map[string]Prop {
	return map[string]Prop{
		"Name":        {Type: Title},
		"Key":         {Type: RichText},
		"Owner":       {Type: People},
		"Baseline":    {Type: Number},
		"Current":     {Type: Number},
		"Target":      {Type: Number},
		"Progress":    {Type: Number},
		"Status":      {Type: Status, Options: []string{"On track", "At risk", "Off track", "Done", "Stale"}},
		"Last synced": {Type: Date},
		"Evidence":    {Type: RichText},
	}
}

// AddDatabase creates a database with the given schema (exactly one title
// property is required) and returns its id. An empty id gets a new UUID.
func (s *Server) AddDatabase(id, title string, schema map[string]Prop) (string, error) {
	if id == "" {
		id = newID()
	}
	nid, ok := normID(id)
	if !ok {
		return "", fmt.Errorf("database id %q is not a uuid", id)
	}
	d := &database{id: nid, title: title, cols: map[string]*column{}, created: s.now(), sources: []source{{id: newID(), name: title}}}
	titles := 0
	for i, name := range slices.Sorted(maps.Keys(schema)) {
		p := schema[name]
		if _, ok := zeroFor(p.Type); !ok {
			return "", fmt.Errorf("property %q: unsupported type %q", name, p.Type)
		}
		colID := fmt.Sprintf("p%02d", i)
		if p.Type == Title {
			titles++
			colID = "title"
		}
		d.cols[name] = &column{id: colID, name: name, typ: p.Type, options: slices.Clone(p.Options), format: p.Format}
		d.names = append(d.names, name)
	}
	if titles != 1 {
		return "", errors.New("a database needs exactly one title property")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.databases[nid]; dup {
		return "", fmt.Errorf("database %s already exists", nid)
	}
	s.databases[nid] = d
	return nid, nil
}

func zeroFor(t PropType) (value, bool) {
	switch t {
	case Title, RichText, Number, Select, Status, Date, People, Checkbox, URL, MultiSelect:
		return value{}, true
	}
	return value{}, false
}

// AddPage creates a page (shared with the integration) in database dbID with
// the given property values, as plain Go values: string for title, rich_text,
// select, status, url and date ("2026-01-02" or RFC 3339, or a time.Time);
// a number (int or float64) or nil for number; []string of user ids or
// emails for people; []string for multi_select; bool for checkbox. A page
// with dbID "" is a standalone page whose only property is "title". It
// returns the new page's id.
func (s *Server) AddPage(dbID string, props map[string]any) (string, error) {
	return s.AddPageWithID("", dbID, props)
}

// AddPageWithID is AddPage with a chosen id ("" for a new one).
func (s *Server) AddPageWithID(id, dbID string, props map[string]any) (string, error) {
	if id == "" {
		id = newID()
	}
	nid, ok := normID(id)
	if !ok {
		return "", fmt.Errorf("page id %q is not a uuid", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.pages[nid]; dup {
		return "", fmt.Errorf("page %s already exists", nid)
	}
	p := &page{id: nid, shared: true, created: s.now(), edited: s.now(), props: map[string]value{}}
	if dbID == "" {
		p.db = &database{cols: map[string]*column{"title": {id: "title", name: "title", typ: Title}}, names: []string{"title"}}
	} else {
		did, _ := normID(dbID)
		d, ok := s.databases[did]
		if !ok {
			return "", fmt.Errorf("database %s does not exist", dbID)
		}
		p.db, p.parent = d, d.id
	}
	for name, v := range props {
		col := p.db.col(name)
		if col == nil {
			return "", fmt.Errorf("property %q is not in the schema", name)
		}
		val, err := s.seedValue(col, v)
		if err != nil {
			return "", fmt.Errorf("property %q: %w", name, err)
		}
		p.props[col.name] = val
	}
	s.pages[nid] = p
	s.order = append(s.order, nid)
	return nid, nil
}

func (s *Server) seedValue(col *column, v any) (value, error) {
	if v == nil {
		return value{}, nil
	}
	switch col.typ {
	case Title, RichText:
		str, ok := v.(string)
		if !ok {
			return value{}, fmt.Errorf("want a string, got %T", v)
		}
		return value{rich: textRich(str)}, nil
	case Number:
		f, err := toFloat(v)
		return value{num: &f}, err
	case Select, Status:
		str, ok := v.(string)
		if !ok {
			return value{}, fmt.Errorf("want a string, got %T", v)
		}
		if !slices.Contains(col.options, str) {
			if col.typ == Status {
				return value{}, fmt.Errorf("status option %q does not exist", str)
			}
			col.options = append(col.options, str)
		}
		return value{name: &str}, nil
	}
	return s.seedOther(col, v)
}

func (s *Server) seedOther(col *column, v any) (value, error) {
	switch col.typ {
	case MultiSelect:
		names, ok := v.([]string)
		if !ok {
			return value{}, fmt.Errorf("want []string, got %T", v)
		}
		return value{names: slices.Clone(names)}, nil
	case Date:
		switch d := v.(type) {
		case time.Time:
			return value{date: &dateVal{Start: d.UTC().Format(time.RFC3339)}}, nil
		case string:
			if !validDate(d) {
				return value{}, fmt.Errorf("invalid date %q", d)
			}
			return value{date: &dateVal{Start: d}}, nil
		}
		return value{}, fmt.Errorf("want a date string or time.Time, got %T", v)
	case People:
		return s.seedPeople(v)
	case Checkbox:
		b, ok := v.(bool)
		if !ok {
			return value{}, fmt.Errorf("want a bool, got %T", v)
		}
		return value{check: b}, nil
	case URL:
		str, ok := v.(string)
		if !ok {
			return value{}, fmt.Errorf("want a string, got %T", v)
		}
		return value{url: &str}, nil
	}
	return value{}, fmt.Errorf("unsupported type %s", col.typ)
}

func (s *Server) seedPeople(v any) (value, error) {
	refs, ok := v.([]string)
	if !ok {
		return value{}, fmt.Errorf("want []string of user ids or emails, got %T", v)
	}
	out := value{people: []string{}}
	for _, ref := range refs {
		if id, ok := normID(ref); ok {
			out.people = append(out.people, id)
			continue
		}
		found := false
		for _, u := range s.users {
			if u.Email == ref {
				out.people, found = append(out.people, u.ID), true
			}
		}
		if !found {
			return value{}, fmt.Errorf("no user with id or email %q", ref)
		}
	}
	return out, nil
}

func toFloat(v any) (float64, error) {
	switch n := v.(type) {
	case float64:
		return n, nil
	case float32:
		return float64(n), nil
	case int:
		return float64(n), nil
	case int64:
		return float64(n), nil
	}
	return 0, fmt.Errorf("want a number, got %T", v)
}

// PageView is a page read back from the fake, with property values as plain
// Go values: string (title, rich_text as plain text, select, status, url,
// date start), float64 (number), []string (people ids, multi_select), bool
// (checkbox), or nil when unset.
type PageView struct {
	ID         string
	Database   string
	Trashed    bool
	Shared     bool
	LastEdited time.Time
	Props      map[string]any
	// Links are the link URLs of each title / rich_text property, in order.
	Links map[string][]string
}

// Page returns the page with the given id (dashed or not).
func (s *Server) Page(id string) (PageView, error) {
	nid, _ := normID(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pages[nid]
	if !ok {
		return PageView{}, fmt.Errorf("page %s does not exist", id)
	}
	v := PageView{ID: p.id, Database: p.parent, Trashed: p.trashed, Shared: p.shared, LastEdited: p.edited,
		Props: map[string]any{}, Links: map[string][]string{}}
	for _, name := range p.db.names {
		col := p.db.cols[name]
		v.Props[name] = plain(col, p.props[name])
		if col.typ == Title || col.typ == RichText {
			v.Links[name] = links(p.props[name].rich)
		}
	}
	return v, nil
}

// Pages returns the ids of the pages in database dbID, in creation order.
func (s *Server) Pages(dbID string) []string {
	nid, _ := normID(dbID)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range s.order {
		if s.pages[id].parent == nid {
			out = append(out, id)
		}
	}
	return out
}

// Trash moves a page to the trash, as a person would in the Notion UI.
func (s *Server) Trash(id string) error { return s.setPage(id, func(p *page) { p.trashed = true }) }

// Restore takes a page out of the trash.
func (s *Server) Restore(id string) error { return s.setPage(id, func(p *page) { p.trashed = false }) }

// SetShared shares or unshares a page with the integration; an unshared page
// answers 404 object_not_found, as in Notion.
func (s *Server) SetShared(id string, shared bool) error {
	return s.setPage(id, func(p *page) { p.shared = shared })
}

func (s *Server) setPage(id string, fn func(*page)) error {
	nid, _ := normID(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pages[nid]
	if !ok {
		return fmt.Errorf("page %s does not exist", id)
	}
	fn(p)
	return nil
}

// BlockView is a block read back from the fake.
type BlockView struct {
	ID       string
	Type     string
	Text     string   // plain text of its rich_text
	Links    []string // link URLs in its rich_text
	Trashed  bool
	Children int
}

// Children returns the blocks directly under a page or block, trashed ones
// included (they are flagged), in order.
func (s *Server) Children(id string) []BlockView {
	nid, _ := normID(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []BlockView
	for _, kid := range s.children[nid] {
		b := s.blocks[kid]
		out = append(out, BlockView{ID: b.id, Type: b.typ, Text: plainText(b.rich), Links: links(b.rich),
			Trashed: b.trashed, Children: len(s.children[b.id])})
	}
	return out
}

// AddBlock appends a block of type typ with plain text under a page or
// block, as a person writing on the page would, and returns its id.
func (s *Server) AddBlock(parentID, typ, text string) (string, error) {
	if _, ok := blockTypes[typ]; !ok {
		return "", fmt.Errorf("unsupported block type %q", typ)
	}
	nid, _ := normID(parentID)
	s.mu.Lock()
	defer s.mu.Unlock()
	_, onPage := s.pages[nid]
	if _, isBlock := s.blocks[nid]; !onPage && !isBlock {
		return "", fmt.Errorf("no page or block %s", parentID)
	}
	b := &block{id: newID(), typ: typ, parent: nid, onPage: onPage, created: s.now(), edited: s.now()}
	if blockTypes[typ] {
		b.rich = textRich(text)
	}
	s.insert(nid, "", []*block{b})
	s.touch(nid)
	return b.id, nil
}

// SetBlockText replaces a block's text, as a person editing it in Notion
// would; the page's last_edited_time moves.
func (s *Server) SetBlockText(id, text string) error {
	nid, _ := normID(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blocks[nid]
	if !ok || !blockTypes[b.typ] {
		return fmt.Errorf("no block with text %s", id)
	}
	b.rich, b.edited = textRich(text), s.now()
	s.touch(nid)
	return nil
}

// WriteUnderCallout types text under the first callout on a page whose text
// starts with marker, as a person writing in it would: into the first empty
// paragraph among the callout's children, or a new paragraph at its end.
// It returns the block written.
func (s *Server) WriteUnderCallout(pageID, marker, text string) (string, error) {
	var callout string
	for _, b := range s.Children(pageID) {
		if b.Type == "callout" && !b.Trashed && strings.HasPrefix(b.Text, marker) {
			callout = b.ID
			break
		}
	}
	if callout == "" {
		return "", fmt.Errorf("no callout starting %q on page %s", marker, pageID)
	}
	for _, b := range s.Children(callout) {
		if b.Type == "paragraph" && !b.Trashed && b.Text == "" {
			return b.ID, s.SetBlockText(b.ID, text)
		}
	}
	return s.AddBlock(callout, "paragraph", text)
}
