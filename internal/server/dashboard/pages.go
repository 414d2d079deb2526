package dashboard

import (
	"bytes"
	"embed"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/goalpost/goalpost/report"
	"github.com/goalpost/goalpost/report/present"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are the pages, each a template file with a "content" block.
var pageNames = []string{"overview", "kr", "baseline", "delivery", "sources"}

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"value":          present.Value,
		"status":         present.Status,
		"percent":        present.Percent,
		"delta":          present.Delta,
		"join":           strings.Join,
		"spark":          Sparkline,
		"chart":          Chart,
		"deliveryCharts": DeliveryCharts,
		"when":           func(t time.Time) string { return t.Format("Mon 2 Jan 15:04") },
		"day":            func(t time.Time) string { return t.Format("Mon 2 Jan") },
		"cell":           cellText,
		"shareLine": func(v *BaselineView) template.HTML {
			shares := make([]float64, len(v.Coverage))
			for i, c := range v.Coverage {
				shares[i] = c.Share()
			}
			return ShareLine(v.Weeks, shares)
		},
		"dur":  func(s float64) string { return present.Duration(time.Duration(s * float64(time.Second))) },
		"pct1": func(v float64) string { return present.Percent(v) },
	}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		out[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}

func cellText(c report.Cell) string {
	switch {
	case c.Shipped > 0:
		return present.Number(float64(c.Shipped))
	case c.State == report.CellOpen:
		return "·"
	case c.State == report.CellSilent:
		return "silent"
	case c.State == report.CellMiss, c.State == report.CellTwoInARow:
		return "0"
	}
	return strings.ReplaceAll(c.State, "_", " ")
}

// tab is one entry of the page navigation.
type tab struct {
	Name, Href string
	Current    bool
}

// page is what the layout renders around a view.
type page struct {
	Title     string
	Path      string // the page's path, e.g. /baseline
	Nav       Nav
	View      any
	AllTeams  bool // the team picker offers "All teams"
	Generated int64
	Static    bool // a past week: no live updates
	Tabs      []tab
}

// href links to path keeping the page's team and the given week.
func (p page) href(path, week string) string {
	q := url.Values{}
	if p.Nav.Team != "" && (p.AllTeams || len(p.Nav.Teams) > 1) {
		q.Set("team", p.Nav.Team)
	}
	if week != "" {
		q.Set("week", week)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// KRHref links to a key result's page for the same week.
func (p page) KRHref(key string) string { return p.href("/kr/"+url.PathEscape(key), p.week()) }

// PrevHref and NextHref link to the neighbouring weeks.
func (p page) PrevHref() string    { return p.href(p.Path, p.Nav.Prev) }
func (p page) NextHref() string    { return p.href(p.Path, p.Nav.Next) }
func (p page) SourcesHref() string { return p.href("/sources", p.week()) }

// week is the week to keep in links: none for the current week, so links
// stay live.
func (p page) week() string {
	if p.Nav.Next == "" {
		return ""
	}
	return p.Nav.Week
}

func newPage(title, path string, nav Nav, view any, allTeams bool) page {
	p := page{Title: title, Path: path, Nav: nav, View: view, AllTeams: allTeams,
		Generated: nav.GeneratedAt.UnixMilli(), Static: nav.Next != ""}
	for _, t := range []struct{ name, path string }{
		{"Overview", "/"}, {"Baseline", "/baseline"}, {"Delivery", "/delivery"}, {"Sources", "/sources"},
	} {
		p.Tabs = append(p.Tabs, tab{Name: t.name, Href: p.href(t.path, p.week()), Current: t.path == path})
	}
	return p
}

func render(t *template.Template, p page) ([]byte, error) {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
