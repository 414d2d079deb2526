package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

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

// adminRoutes are every route of the admin listener, pages then machine
// routes (the API and /metrics).
var adminRoutes = []struct {
	path    string
	machine bool
}{
	{"/", false}, {"/?team=platform&week=2026-W40", false}, {"/kr/merged-10", false}, {"/baseline", false},
	{"/delivery", false}, {"/sources", false},
	{"/api/v1/objectives", true}, {"/api/v1/krs/merged-10", true}, {"/api/v1/baseline", true},
	{"/api/v1/delivery", true}, {"/api/v1/sources", true}, {"/api/v1/status", true}, {"/api/v1/report", true}, {"/metrics", true},
}

// TestAdminRoutesNeedCredentialsAndNeverShowSecrets: with admin_token and
// basic auth set, every machine route answers 401 without the token and
// every page 401 without the password; with them, no answer of any route
// contains a configured secret.
func TestAdminRoutesNeedCredentialsAndNeverShowSecrets(t *testing.T) {
	const token, password, ghToken = "adm1n-T0KEN-value", "pa55-W0RD-value", "ghp_D4SH_github_token"
	gh := githubfake.New(githubfake.WithToken(ghToken))
	if err := gh.AddRepo("acme/api", "main"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gh.Handler())
	defer srv.Close()
	cfg := daemonConfig(t.TempDir(), srv.URL+"/", 4096)
	cfg = strings.Replace(cfg, `token = "test-token"`, `token = "`+ghToken+`"`, 1)
	cfg = strings.Replace(cfg, "[server]\n", "[server]\nadmin_token = \""+token+"\"\nadmin_user = \"ana\"\nadmin_password = \""+password+"\"\n", 1)
	cfg = strings.Replace(cfg, "key = \"ship\"\n", "key = \"ship\"\nteam = \"platform\"\n", 1)
	cfg += "[[teams]]\nname = \"platform\"\ntime_zone = \"UTC\"\n"
	a, hook := startDaemon(t, cfg)
	body := mergedPRPayload(1, time.Now().Add(-time.Hour))
	if code := post(t, hook, "pull_request", "d-1", sign(body), body); code/100 != 2 {
		t.Fatalf("webhook: %d", code)
	}
	base := adminURL(t, a)
	for _, r := range adminRoutes {
		t.Run(r.path, func(t *testing.T) {
			if code, _ := fetch(t, base+r.path, nil); code != http.StatusUnauthorized {
				t.Fatalf("without credentials: %d, want 401", code)
			}
			auth := func(req *http.Request) { req.SetBasicAuth("ana", password) }
			if r.machine {
				auth = func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+token) }
			}
			code, b := fetch(t, base+r.path, auth)
			if code != http.StatusOK {
				t.Fatalf("with credentials: %d %.300s", code, b)
			}
			for _, s := range []string{token, password, ghToken, hookSecret} {
				if strings.Contains(b, s) {
					t.Fatalf("the answer contains a secret")
				}
			}
		})
	}
}

func fetch(t *testing.T, url string, auth func(*http.Request)) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if auth != nil {
		auth(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsFromStart: every counter of a configured source is exported
// at 0 before anything happened; after a webhook the key result's gauges
// and the source's last success are there.
func TestMetricsFromStart(t *testing.T) {
	gh := githubfake.New(githubfake.WithToken("test-token"))
	if err := gh.AddRepo("acme/api", "main"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gh.Handler())
	defer srv.Close()
	a, hook := startDaemon(t, daemonConfig(t.TempDir(), srv.URL+"/", 4096))
	base := adminURL(t, a)
	m := scrape(t, base+"/metrics")
	for _, want := range []string{`goalpost_poll_errors_total{source="github"} 0`, `goalpost_events_in_total{source="github"} 0`,
		`goalpost_events_dead_lettered_total{source="github"} 0`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s at start:\n%s", want, grepGoalpost(m))
		}
	}
	body := mergedPRPayload(1, time.Now().Add(-time.Hour))
	if code := post(t, hook, "pull_request", "d-1", sign(body), body); code/100 != 2 {
		t.Fatalf("webhook: %d", code)
	}
	wants := []string{`goalpost_kr_value{kr="merged-10",objective="ship",team=""} 1`,
		`goalpost_kr_progress{kr="merged-10",objective="ship",team=""} 0.1`,
		`goalpost_kr_status{kr="merged-10",objective="ship",status="off_track",team=""} 1`,
		`goalpost_kr_status{kr="merged-10",objective="ship",status="stale",team=""} 0`,
		`goalpost_source_last_success_timestamp_seconds{source="github"} `}
	waitFor(t, "the key result's gauges", func() bool { // 1 of 10 halfway through: off track
		m = scrape(t, base+"/metrics")
		for _, w := range wants {
			if !strings.Contains(m, w) {
				return false
			}
		}
		return true
	})
}

var replicaLabel = regexp.MustCompile(`replica="[^"]*",?`)

// scrape reads /metrics without the replica label.
func scrape(t *testing.T, url string) string {
	_, m := fetch(t, url, nil)
	return strings.ReplaceAll(replicaLabel.ReplaceAllString(m, ""), "{}", "")
}

func grepGoalpost(m string) string {
	var out []string
	for _, l := range strings.Split(m, "\n") {
		if strings.HasPrefix(l, "goalpost_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
