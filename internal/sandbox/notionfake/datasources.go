package notionfake

import (
	"fmt"
	"strings"
)

// DataSourcesVersion is the first Notion-Version of the data-source model:
// a database is a container of data sources, which hold the schema and
// the rows.
const DataSourcesVersion = "2025-09-03"

// source is one data source of a database. The fake's sources share the
// database's schema; rows live in the first one.
type source struct {
	id, name string
}

// dataSources reports whether the request speaks the data-source model.
func (c *call) dataSources() bool { return c.r.Header.Get("Notion-Version") >= DataSourcesVersion }

// singleSource is the error older API versions get on a database with
// more than one data source: reads, writes and queries of it fail.
func (d *database) singleSource() *apiError {
	if len(d.sources) > 1 {
		return validation("Databases with multiple data sources are not supported in this API version. Use Notion-Version %s or later and the data source endpoints.", DataSourcesVersion)
	}
	return nil
}

// AddDataSource adds a data source (with the database's schema and no
// rows) to database dbID, as a user adding a second source in Notion does,
// and returns its id. Older API versions can no longer read or query the
// database afterwards.
func (s *Server) AddDataSource(dbID, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, e := s.lookupDatabase(dbID)
	if e != nil {
		return "", fmt.Errorf("%s", e.msg)
	}
	id := newID()
	d.sources = append(d.sources, source{id: id, name: name})
	return id, nil
}

// AddPageToSource is AddPage for a row of data source sourceID of
// database dbID (see AddDataSource); AddPage adds rows to the first.
func (s *Server) AddPageToSource(dbID, sourceID string, props map[string]any) (string, error) {
	id, err := s.AddPage(dbID, props)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pages[id]
	for i, src := range p.db.sources {
		if src.id == sourceID {
			p.source = i
			return id, nil
		}
	}
	return "", fmt.Errorf("database %s has no data source %s", dbID, sourceID)
}

// DataSources returns the ids of database dbID's data sources, the first
// (holding the rows AddPage adds) first.
func (s *Server) DataSources(dbID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, e := s.lookupDatabase(dbID)
	if e != nil {
		return nil
	}
	var out []string
	for _, src := range d.sources {
		out = append(out, src.id)
	}
	return out
}

// renderContainer is a database under 2025-09-03: its data sources, no
// properties.
func (s *Server) renderContainer(d *database) map[string]any {
	srcs := []map[string]any{}
	for _, src := range d.sources {
		srcs = append(srcs, map[string]any{"id": src.id, "name": src.name})
	}
	return map[string]any{
		"object": "database", "id": d.id, "title": renderRichText(textRich(d.title)),
		"created_time": stamp(d.created), "last_edited_time": stamp(d.created),
		"data_sources": srcs, "in_trash": false, "is_inline": false, "is_locked": false,
		"parent": map[string]any{"type": "workspace", "workspace": true},
	}
}

// lookupSource finds a data source and its database (404 as Notion answers
// for an unknown or unshared one); older versions have no such endpoint.
func (s *Server) lookupSource(c *call) (*database, int, *apiError) {
	if !c.dataSources() {
		return nil, 0, &apiError{status: 400, code: "invalid_request_url", msg: "Invalid request URL."}
	}
	id, ok := normID(c.id())
	if !ok {
		return nil, 0, badPathID("data_source_id", c.id())
	}
	for _, d := range s.databases {
		for i, src := range d.sources {
			if src.id == id {
				return d, i, nil
			}
		}
	}
	return nil, 0, notFound("data_source", id)
}

func (s *Server) getDataSource(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, i, e := s.lookupSource(c)
	if e != nil {
		c.failErr(e)
		return
	}
	c.ok(map[string]any{
		"object": "data_source", "id": d.sources[i].id, "title": renderRichText(textRich(d.sources[i].name)),
		"parent":          map[string]any{"type": "database_id", "database_id": d.id},
		"database_parent": map[string]any{"type": "workspace", "workspace": true},
		"properties":      d.schema(), "archived": false, "in_trash": false,
		"created_time": stamp(d.created), "last_edited_time": stamp(d.created),
		"url": "https://www.notion.so/" + strings.ReplaceAll(d.id, "-", ""),
	})
}

func (s *Server) queryDataSource(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, i, e := s.lookupSource(c)
	if e != nil {
		c.failErr(e)
		return
	}
	s.query(c, d, i)
}
