package github

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/goalpost/goalpost/internal/confval"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		toml string
		keys []string // keys of the expected field errors; none = valid
	}{
		{"token only", `token = "x"`, nil},
		{"full", `
base_url = "https://github.example.com/api/v3/"
token = "x"
webhook_secret = "a-webhook-secret-of-16+-bytes"
poll_interval = "30s"
concurrency = 8
requests_per_second = 5
max_wait = "15m"
since = "2026-07-01"
production_environments = ["production", "prod-*"]
[[repos]]
name = "acme/api"
ship_on_merge = true
deploy_workflow = "deploy.yml"
hook_id = 12
[[orgs]]
name = "acme"
include = ["svc-*"]
exclude = ["svc-legacy"]
hook_id = 99`, nil},
		{"app", `
[app]
id = 1
installation_id = 2
private_key_file = "/run/secrets/app.pem"`, nil},
		{"no auth", ``, []string{"token"}},
		{"token and app", "token = \"x\"\n[app]\nid = 1", []string{"app"}},
		{"incomplete app", "[app]\nprivate_key = \"k\"\nprivate_key_file = \"f\"", []string{"app.id", "app.installation_id", "app.private_key"}},
		{"bad values", `
token = "x"
base_url = "ftp://x"
poll_interval = "10ms"
concurrency = 99
since = "July 1st"
shipped_at = "deploy_started"
production_environments = ["[bad"]`, []string{"base_url", "poll_interval", "concurrency", "since", "shipped_at", "production_environments[0]"}},
		{"bad repos", `
token = "x"
[[repos]]
name = "acme"
[[repos]]
name = "acme/api"
deploy_workflow = ".github/workflows/deploy.yml"
[[repos]]
name = "ACME/api"
[[orgs]]
name = "a/b"`, []string{"repos[0].name", "repos[1].deploy_workflow", "repos[2].name", "orgs[0].name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			dec := toml.NewDecoder(strings.NewReader(tc.toml))
			dec.DisallowUnknownFields()
			must(t, dec.Decode(&c))
			var keys []string
			for _, err := range confval.Flatten(c.Validate()) {
				var fe *confval.FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("not a field error: %v", err)
				}
				keys = append(keys, fe.Key)
			}
			if !slices.Equal(keys, tc.keys) {
				t.Fatalf("errors on %v, want %v", keys, tc.keys)
			}
		})
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	c := Config{Token: "ghp_secret_value", WebhookSecret: "hook_secret_value", App: AppConfig{PrivateKey: "-----BEGIN KEY-----"}}
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		if strings.Contains(s, "secret_value") || strings.Contains(s, "BEGIN") {
			t.Fatalf("config prints a secret: %s", s)
		}
	}
}

func TestSettingsFor(t *testing.T) {
	c := &Config{
		ProductionEnvironments: []string{"prod"},
		Repos:                  []RepoConfig{{Name: "acme/api", ShipOnMerge: true, ProductionEnvironments: []string{"live", "prod-*"}}},
		Orgs:                   []OrgConfig{{Name: "acme", Exclude: []string{"old-*"}, DeployWorkflow: "deploy.yml"}},
	}
	cases := []struct {
		repo    string
		env     string
		prod    bool
		primary string
		ship    bool
		wf      string
	}{
		{"ACME/API", "prod-eu", true, "live", true, ""},
		{"acme/api", "prod", false, "live", true, ""},
		{"acme/web", "prod", true, "prod", false, "deploy.yml"},
		{"acme/old-web", "prod", true, "prod", false, ""},
		{"other/x", "Prod", true, "prod", false, ""},
	}
	for _, tc := range cases {
		s := c.settingsFor(tc.repo)
		if s.isProduction(tc.env) != tc.prod || s.primaryEnvironment() != tc.primary || s.ShipOnMerge != tc.ship || s.DeployWorkflow != tc.wf {
			t.Errorf("%s/%s: %+v", tc.repo, tc.env, s)
		}
	}
	if (&Config{}).productionEnvironments(nil)[0] != DefaultEnvironment {
		t.Error("default environment")
	}
}

// requests_per_second: unset is the default spacing, 0 is none (as the
// example config documents), a value is that rate.
func TestRequestsPerSecond(t *testing.T) {
	cases := []struct {
		name string
		toml string
		want float64 // 0: no limiter
	}{
		{"unset", `token = "x"`, DefaultRequestsPerSecond},
		{"zero is no spacing", "token = \"x\"\nrequests_per_second = 0", 0},
		{"explicit", "token = \"x\"\nrequests_per_second = 2.5", 2.5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c Config
			if err := toml.Unmarshal([]byte(tc.toml), &c); err != nil {
				t.Fatal(err)
			}
			l := c.limiter()
			switch {
			case tc.want == 0 && l != nil:
				t.Errorf("limiter at %v, want none", l.Limit())
			case tc.want != 0 && (l == nil || float64(l.Limit()) != tc.want):
				t.Errorf("limiter %v, want %v", l, tc.want)
			}
		})
	}
}
