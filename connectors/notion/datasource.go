package notion

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The data-source calls jomei/notionapi lacks, hand-written here against
// Notion-Version 2025-09-03 (types from the official SDK's endpoint
// definitions).

// parent is where a page lives. Under 2025-09-03 a database row names its
// data source and its database.
type parent struct {
	Type         string `json:"type"`
	DatabaseID   string `json:"database_id"`
	DataSourceID string `json:"data_source_id"`
}

// schemaProperty is one property of a data source's schema, with the
// options of a status or select property.
type schemaProperty struct {
	Type   string `json:"type"`
	Status *struct {
		Options []option `json:"options"`
	} `json:"status"`
	Select *struct {
		Options []option `json:"options"`
	} `json:"select"`
	Number *struct {
		Format string `json:"format"` // number, percent, dollar, ...
	} `json:"number"`
}

// options are the names of a status or select property's options.
func (p schemaProperty) options() []string {
	var opts []option
	switch {
	case p.Status != nil:
		opts = p.Status.Options
	case p.Select != nil:
		opts = p.Select.Options
	}
	names := make([]string, 0, len(opts))
	for _, o := range opts {
		names = append(names, o.Name)
	}
	return names
}

// dataSource is GET /v1/data_sources/{id}.
type dataSource struct {
	ID         string                    `json:"id"`
	Properties map[string]schemaProperty `json:"properties"`
}

// getPageWithParent reads a page under 2025-09-03, whose parent names the
// data source of a database row.
func (c *Client) getPageWithParent(ctx context.Context, id string) (*page, error) {
	var p page
	if err := c.doVersion(ctx, dataSourceVersion, "GET", "pages/"+id, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// getDataSource reads a data source's schema.
func (c *Client) getDataSource(ctx context.Context, id string) (*dataSource, error) {
	var ds dataSource
	if err := c.doVersion(ctx, dataSourceVersion, "GET", "data_sources/"+id, nil, &ds); err != nil {
		return nil, err
	}
	return &ds, nil
}

// DataSourceRef is one data source of a database.
type DataSourceRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// resolveDataSources turns the configured goals id, a database id or a
// data source id, into the data sources to read: every source of a
// database (Notion 2025-09-03: a database is a container of sources), or
// the one source named. It reads GET /v1/databases/{id}, then, when Notion
// knows no such database, GET /v1/data_sources/{id}.
func (c *Client) resolveDataSources(ctx context.Context, id string) ([]DataSourceRef, error) {
	var db struct {
		DataSources []DataSourceRef `json:"data_sources"`
	}
	err := c.doVersion(ctx, dataSourceVersion, "GET", "databases/"+id, nil, &db)
	var ae *APIError
	switch {
	case err == nil && len(db.DataSources) == 0:
		return nil, permanent("notion: database %s has no data source", id)
	case err == nil:
		return db.DataSources, nil
	case !errors.As(err, &ae) || ae.Code != "object_not_found":
		return nil, err
	}
	if _, dsErr := c.getDataSource(ctx, id); dsErr != nil {
		return nil, fmt.Errorf("%w (and not a data source either: %w)", err, dsErr)
	}
	return []DataSourceRef{{ID: id}}, nil
}

// queryDataSource calls fn for every page of a data source that passes
// filter (nil: every page), following has_more / next_cursor. Results that
// are not pages (a wiki's nested data sources) are skipped.
func (c *Client) queryDataSource(ctx context.Context, id string, filter any, fn func(*page) error) error {
	body := map[string]any{"page_size": 100}
	if filter != nil {
		body["filter"] = filter
	}
	for {
		var qp queryPage
		if err := c.doVersion(ctx, dataSourceVersion, "POST", "data_sources/"+id+"/query", body, &qp); err != nil {
			return err
		}
		for i := range qp.Results {
			if o := qp.Results[i].Object; o != "" && !strings.EqualFold(o, "page") {
				continue
			}
			if err := fn(&qp.Results[i]); err != nil {
				return err
			}
		}
		if !qp.HasMore || qp.NextCursor == nil || *qp.NextCursor == "" {
			return nil
		}
		body["start_cursor"] = *qp.NextCursor
	}
}
