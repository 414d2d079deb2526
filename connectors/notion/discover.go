package notion

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
)

// Database is a database shared with the integration whose properties look
// like key results: a number property named as [notion.properties] current
// and one named as target (any case).
type Database struct {
	ID, Title string
	// Properties are the database's property names, sorted.
	Properties []string
}

// Discover lists, read-only, the databases shared with the integration
// (the first 100 that search returns) and keeps the KR-shaped ones, for
// `goalpost init`. hc as for NewClient.
func Discover(ctx context.Context, cfg *Config, hc *http.Client) ([]Database, error) {
	c, err := NewClient(cfg, hc, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	var res struct {
		Results []struct {
			ID    string `json:"id"`
			Title []struct {
				PlainText string `json:"plain_text"`
			} `json:"title"`
			Properties map[string]struct {
				Type string `json:"type"`
			} `json:"properties"`
		} `json:"results"`
	}
	body := map[string]any{"filter": map[string]string{"property": "object", "value": "database"}, "page_size": 100}
	if err := c.do(ctx, http.MethodPost, "search", body, &res); err != nil {
		return nil, err
	}
	names := cfg.propertyNames()
	var out []Database
	for _, r := range res.Results {
		numbers := map[string]bool{}
		db := Database{ID: r.ID}
		for name, p := range r.Properties {
			db.Properties = append(db.Properties, name)
			if p.Type == "number" {
				numbers[strings.ToLower(name)] = true
			}
		}
		if !numbers[strings.ToLower(names["current"])] || !numbers[strings.ToLower(names["target"])] {
			continue
		}
		for _, t := range r.Title {
			db.Title += t.PlainText
		}
		slices.Sort(db.Properties)
		out = append(out, db)
	}
	return out, nil
}
