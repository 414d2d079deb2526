package dashboard

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/report"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

// fakeData serves n key results over a 13-week period with one snapshot a
// day each, as the store would.
type fakeData struct {
	now     time.Time
	results []rules.Result
	snaps   map[string][]store.Snapshot
}

func newFakeData(krs, weeks int, now time.Time) *fakeData {
	start := now.AddDate(0, 0, -7*weeks)
	f := &fakeData{now: now, snaps: map[string][]store.Snapshot{}}
	for i := range krs {
		key := fmt.Sprintf("kr-%02d", i)
		f.results = append(f.results, rules.Result{KRKey: key, Title: "Key result " + key, ObjectiveKey: fmt.Sprintf("o-%d", i/5),
			Objective: fmt.Sprintf("Objective %d", i/5), Team: []string{"platform", "growth", "core"}[i%3], Type: rules.TypeCount,
			Current: float64(weeks * 2), Target: float64(weeks * 5), Progress: 0.4, Pace: 0.5, Status: rules.StatusAtRisk,
			PeriodStart: start, PeriodEnd: now.AddDate(0, 0, 7*weeks)})
		for d := range 7 * weeks {
			f.snaps[key] = append(f.snaps[key], store.Snapshot{KRKey: key, At: start.AddDate(0, 0, d), Current: float64(d) / 3.5, Status: rules.StatusOnTrack})
		}
	}
	return f
}

func (f *fakeData) Results(context.Context) ([]rules.Result, error) { return f.results, nil }
func (f *fakeData) History(_ context.Context, key string, from, to time.Time) ([]store.Snapshot, error) {
	return f.snaps[key], nil
}
func (f *fakeData) Teams() []string { return []string{"core", "growth", "platform"} }
func (f *fakeData) Team(name string) (people.Team, error) {
	return people.Team{Name: name, TimeZone: "Europe/Berlin"}, nil
}
func (f *fakeData) WeekOf(string, time.Time) (calendar.Week, error) { return calendar.Week{}, nil }
func (f *fakeData) Report(context.Context, string, calendar.Week, time.Time) (*report.Report, error) {
	return &report.Report{}, nil
}
func (f *fakeData) SourceHealth(context.Context) ([]store.SourceHealth, error) {
	return []store.SourceHealth{{Source: "github", LastOK: f.now}}, nil
}
func (f *fakeData) Cursors(context.Context) ([]store.CursorRow, error) { return nil, nil }

// adminMux mounts pages and machine routes on one mux, without credentials.
type adminMux struct{ *http.ServeMux }

func (m adminMux) Page(p string, h http.Handler)    { m.Handle(p, h) }
func (m adminMux) Machine(p string, h http.Handler) { m.Handle(p, h) }

func benchHandler(b *testing.B) http.Handler {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	f := newFakeData(30, 13, now)
	db := New(Deps{Results: f, Reports: f, Health: f, Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)})
	mux := adminMux{http.NewServeMux()}
	db.Mount(mux)
	return mux
}

func benchRoute(b *testing.B, path string) {
	h := benchHandler(b)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
}

// BenchmarkOverviewPage renders the overview page (30 key results, 13
// weeks of daily snapshots each: sparklines, pace, projection) server-side;
// BenchmarkOverviewJSON, the same view as the API's JSON, is its same-run
// baseline.
func BenchmarkOverviewPage(b *testing.B) { benchRoute(b, "/") }
func BenchmarkOverviewJSON(b *testing.B) { benchRoute(b, "/api/v1/objectives") }
