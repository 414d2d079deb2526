package dashboard

import (
	"context"
	"errors"
	"html/template"
	"net/http"

	"github.com/goalpost/goalpost/report"
)

// Mux is where the dashboard mounts its routes (*server.Admin): pages for
// people, machine routes (the API) for programs, each behind its own
// credentials.
type Mux interface {
	Page(pattern string, h http.Handler)
	Machine(pattern string, h http.Handler)
}

// builder builds one view from a request's query.
type builder[T any] func(ctx context.Context, r *http.Request, q Query) (T, error)

// Mount adds every page, the live-update stream and the API to m.
func (db *Dashboard) Mount(m Mux) {
	pages := parsePages()
	overview := func(ctx context.Context, _ *http.Request, q Query) (*Overview, error) { return db.Overview(ctx, q) }
	kr := func(ctx context.Context, r *http.Request, q Query) (*KRDetail, error) {
		return db.KR(ctx, r.PathValue("key"), q)
	}
	baseline := func(ctx context.Context, _ *http.Request, q Query) (*BaselineView, error) { return db.Baseline(ctx, q) }
	delivery := func(ctx context.Context, _ *http.Request, q Query) (*Delivery, error) { return db.Delivery(ctx, q) }
	sources := func(ctx context.Context, _ *http.Request, q Query) (*Sources, error) { return db.Sources(ctx, q) }
	status := func(ctx context.Context, _ *http.Request, q Query) (*Status, error) { return db.Status(ctx, q) }
	weekly := func(ctx context.Context, _ *http.Request, q Query) (*report.Report, error) { return db.Report(ctx, q) }

	m.Page("GET /{$}", servePage(db, pages["overview"], "/", true, overview, func(v *Overview) (string, Nav) { return "Overview", v.Nav }))
	m.Page("GET /kr/{key}", servePage(db, pages["kr"], "", true, kr, func(v *KRDetail) (string, Nav) { return v.KR.Title, v.Nav }))
	m.Page("GET /baseline", servePage(db, pages["baseline"], "/baseline", false, baseline, func(v *BaselineView) (string, Nav) { return "Baseline", v.Nav }))
	m.Page("GET /delivery", servePage(db, pages["delivery"], "/delivery", true, delivery, func(v *Delivery) (string, Nav) { return "Delivery", v.Nav }))
	m.Page("GET /sources", servePage(db, pages["sources"], "/sources", true, sources, func(v *Sources) (string, Nav) { return "Sources", v.Nav }))
	m.Page("GET /events", db.hub)

	m.Machine("GET /api/v1/objectives", serveJSON(db, overview))
	m.Machine("GET /api/v1/krs/{key}", serveJSON(db, kr))
	m.Machine("GET /api/v1/baseline", serveJSON(db, baseline))
	m.Machine("GET /api/v1/delivery", serveJSON(db, delivery))
	m.Machine("GET /api/v1/sources", serveJSON(db, sources))
	m.Machine("GET /api/v1/status", serveJSON(db, status))
	m.Machine("GET /api/v1/report", serveJSON(db, weekly))
}

func queryOf(r *http.Request) Query {
	q := r.URL.Query()
	return Query{Team: q.Get("team"), Week: q.Get("week")}
}

func serveJSON[T any](db *Dashboard, build builder[T]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := build(r.Context(), r, queryOf(r))
		if err != nil {
			db.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = WriteJSON(w, v)
	})
}

func servePage[T any](db *Dashboard, t *template.Template, path string, allTeams bool, build builder[T], head func(T) (string, Nav)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := build(r.Context(), r, queryOf(r))
		if err != nil {
			db.fail(w, r, err)
			return
		}
		title, nav := head(v)
		p := newPage(title, path, nav, v, allTeams)
		if path == "" {
			p.Path = r.URL.Path
		}
		body, err := render(t, p)
		if err != nil {
			db.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(body)
	})
}

// fail answers an error: 400 for a query that can never succeed, 404 for
// an unknown key result, else 500 without details (they are logged).
func (db *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	var nf errNotFound
	switch {
	case isBadRequest(err):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.As(err, &nf):
		http.Error(w, err.Error(), http.StatusNotFound)
	default:
		db.d.Log.Warn("dashboard", "path", r.URL.Path, "err", err)
		http.Error(w, "cannot build this view; the error is in goalpost's log", http.StatusInternalServerError)
	}
}
