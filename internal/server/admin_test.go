package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/internal/metrics"
)

func TestAdminAuth(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "page") })
	api := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"ok":true}`) })
	full := Auth{Token: "t0ken", User: "ana", Password: "pw", TrustedHeader: "X-Forwarded-User"}
	tests := []struct {
		name, path string
		auth       Auth
		header     map[string]string
		basic      []string
		want       int
		wantBody   string
	}{
		{"open api without auth configured", "/api/v1/x", Auth{}, nil, nil, 200, "ok"},
		{"open page without auth configured", "/", Auth{}, nil, nil, 200, "page"},
		{"api without the token", "/api/v1/x", full, nil, nil, 401, "Bearer"},
		{"api with a wrong token", "/api/v1/x", full, map[string]string{"Authorization": "Bearer nope"}, nil, 401, ""},
		{"api with the token", "/api/v1/x", full, map[string]string{"Authorization": "Bearer t0ken"}, nil, 200, "ok"},
		{"api refuses page credentials", "/api/v1/x", full, map[string]string{"X-Forwarded-User": "ana"}, []string{"ana", "pw"}, 401, ""},
		{"metrics without the token", "/metrics", full, nil, nil, 401, ""},
		{"metrics with the token", "/metrics", full, map[string]string{"Authorization": "Bearer t0ken"}, nil, 200, "go_gc_duration_seconds"},
		{"page without credentials", "/", full, nil, nil, 401, ""},
		{"page with basic auth", "/", full, nil, []string{"ana", "pw"}, 200, "page"},
		{"page with a wrong password", "/", full, nil, []string{"ana", "nope"}, 401, ""},
		{"page with the proxy's identity", "/", full, map[string]string{"X-Forwarded-User": "ana@example.com"}, nil, 200, "page"},
		{"page with an empty identity", "/", full, map[string]string{"X-Forwarded-User": " "}, nil, 401, ""},
		{"page with the bearer token only", "/", full, map[string]string{"Authorization": "Bearer t0ken"}, nil, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAdmin(Options{}, tt.auth, metrics.New(), slog.New(slog.DiscardHandler))
			a.Page("GET /{$}", page)
			a.Machine("GET /api/v1/x", api)
			ts := httptest.NewServer(a.Handler())
			defer ts.Close()
			req, _ := http.NewRequest("GET", ts.URL+tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if tt.basic != nil {
				req.SetBasicAuth(tt.basic[0], tt.basic[1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want || !strings.Contains(string(b), tt.wantBody) {
				t.Fatalf("GET %s: %d %.200q, want %d containing %q", tt.path, resp.StatusCode, b, tt.want, tt.wantBody)
			}
			if strings.Contains(string(b), "t0ken") || strings.Contains(resp.Header.Get("WWW-Authenticate"), "t0ken") {
				t.Fatal("the token appears in the response")
			}
		})
	}
}
