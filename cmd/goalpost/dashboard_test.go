package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
)

func TestDashboard(t *testing.T) {
	gh := githubfake.New(githubfake.WithToken("test-token"))
	if err := gh.AddRepo("acme/api", "main"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gh.Handler())
	defer srv.Close()
	cfg := daemonConfig(t.TempDir(), srv.URL+"/", 4096) + "[[teams]]\nname = \"platform\"\ntime_zone = \"Europe/Berlin\"\n"
	cfg = strings.Replace(cfg, "key = \"ship\"\n", "key = \"ship\"\nteam = \"platform\"\n", 1)
	a, hook := startDaemon(t, cfg)
	base := adminURL(t, a)
	public := strings.TrimSuffix(hook, "/webhooks/github")
	for _, path := range []string{"/", "/?week=2026-W40", "/metrics"} {
		if code := get(t, public+path); code != http.StatusNotFound {
			t.Fatalf("GET %s on the webhook listener: %d, want 404", path, code)
		}
	}
	tests := []struct {
		name, query string
		want        int
		wantBody    string
	}{
		{"current week", "/", 200, "merged-10"},
		{"a given week", "/?week=2026-W40", 200, "2026-W40"},
		{"a bad week", "/?week=soon", 400, "bad week"},
		{"an unknown team", "/?team=nope", 400, "unknown team"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(base + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want || !strings.Contains(string(b), tt.wantBody) {
				t.Fatalf("GET %s: %d %.300q", tt.query, resp.StatusCode, b)
			}
			if tt.want == 200 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
			}
		})
	}
}

func adminURL(t *testing.T, a *app) string {
	t.Helper()
	addr, err := a.admin.Addr(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
