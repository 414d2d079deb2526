package notion

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/goalpost/goalpost/internal/confval"
)

// Doctor checks, read-only, what the sink and the goals loader need: the
// token, every key result page (shared with the integration, its
// properties present with the right types, the Status options goalpost
// writes, naming the missing ones) and the goals database's data sources.
// hc as for NewClient.
func Doctor(ctx context.Context, cfg *Config, hc *http.Client, pages []string) []confval.Check {
	s, err := NewSink(cfg, hc, slog.New(slog.DiscardHandler))
	if err != nil {
		return []confval.Check{{Name: "notion: client", Detail: err.Error(), Fix: "fix [notion] base_url"}}
	}
	ck := confval.Check{Name: "notion: token", OK: true}
	if err := s.c.do(ctx, "GET", "users/me", nil, nil); err != nil {
		ck.OK, ck.Detail, ck.Fix = false, err.Error(), confval.FixFor(err, "set [notion] token to the integration's secret (Settings → Connections → Develop or manage integrations)")
		return []confval.Check{ck}
	}
	out := []confval.Check{ck}
	for _, p := range pages {
		out = append(out, s.checkPage(ctx, p))
	}
	if cfg.Goals.DatabaseID != "" {
		out = append(out, goalsCheck(ctx, s.c, cfg.Goals.DatabaseID))
	}
	return out
}

// checkPage is one key result page's check.
func (s *Sink) checkPage(ctx context.Context, target string) confval.Check {
	ck := confval.Check{Name: "notion page " + target, OK: true}
	id, err := ParseID(lastID(target))
	if err == nil {
		var sch pageSchema
		if sch, err = s.schema(ctx, id); err == nil {
			if problems := s.schemaProblems(sch); len(problems) > 0 {
				ck.OK, ck.Detail = false, strings.Join(problems, "; ")
				ck.Fix = "add the missing properties or status options in Notion (status options cannot be created through the API), or rename them under [notion.properties] / [notion.status_names]"
			}
			return ck
		}
	}
	ck.OK, ck.Detail = false, err.Error()
	ck.Fix = "share the page with the integration (••• → Connections), or correct notion_page"
	return ck
}

// schemaProblems lists what a page lacks for the writes goalpost makes.
func (s *Sink) schemaProblems(sch pageSchema) []string {
	var problems []string
	for _, key := range slices.Sorted(maps.Keys(s.props)) {
		name := s.props[key]
		if name == Disabled || (key == "target" && s.cfg.Goals.DatabaseID != "") {
			continue
		}
		typ, ok := sch.types[name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("no property %q", name))
		case !slices.Contains(wantTypes[key], typ):
			problems = append(problems, fmt.Sprintf("property %q is a %s, want %s", name, typ, strings.Join(wantTypes[key], " or ")))
		case typ == "status" && sch.options != nil:
			if missing := s.cfg.MissingStatusOptions(sch.options[name]); len(missing) > 0 {
				problems = append(problems, fmt.Sprintf("status property %q lacks the options %s (it has %s)", name, quoteAll(missing), quoteAll(sch.options[name])))
			}
		}
	}
	return problems
}

// goalsCheck resolves the goals database to the data source it is read
// from, naming every source.
func goalsCheck(ctx context.Context, c *Client, raw string) confval.Check {
	ck := confval.Check{Name: "notion goals database " + raw, OK: true}
	id, err := ParseID(raw)
	var all []DataSourceRef
	if err == nil {
		all, err = c.resolveDataSources(ctx, id)
	}
	if err != nil {
		ck.OK, ck.Detail = false, err.Error()
		ck.Fix = "share the goals database with the integration, or set [notion.goals] database_id to a database or data source id"
		return ck
	}
	names := make([]string, 0, len(all))
	for _, ds := range all {
		names = append(names, fmt.Sprintf("%s %q", ds.ID, ds.Name))
	}
	ck.Detail = "read from data sources " + strings.Join(names, ", ")
	return ck
}

func lastID(target string) string {
	if m := idPattern.FindStringSubmatch(target); m != nil {
		return m[1]
	}
	return target
}

func quoteAll(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
