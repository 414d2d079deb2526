package metrics

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestGrafanaDashboardUsesOnlyOurSeries: every goalpost_ series the sample
// Grafana dashboard in docs/ queries is one goalpost exports.
func TestGrafanaDashboardUsesOnlyOurSeries(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := New()
	m.Init([]string{"github"}, []string{"notion"})
	m.PollOK("github", time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	m.Webhook("github", 200)
	m.WatchKeyResults(context.Background(), []string{"on_track"}, func(context.Context) ([]KRSample, error) {
		return []KRSample{{Key: "kr", Status: "on_track"}}, nil
	})
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range families {
		exported[f.GetName()] = true
	}
	used := regexp.MustCompile(`goalpost_[a-z_]+`).FindAllString(string(b), -1)
	if len(used) == 0 {
		t.Fatal("the dashboard queries no goalpost series")
	}
	for _, name := range used {
		if !exported[name] {
			t.Errorf("docs/grafana-dashboard.json queries %s, which goalpost does not export", name)
		}
	}
}
