package gitlab

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	ok := func() Config {
		return Config{Token: "glpat-x", Projects: []ProjectConfig{{Path: "acme/api"}}}
	}
	tests := []struct {
		name string
		mod  func(*Config)
		want string // substring of the error; "" for valid
	}{
		{"minimal", func(*Config) {}, ""},
		{"self-managed under a relative root", func(c *Config) { c.BaseURL = "https://git.acme.example/gitlab/api/v4" }, ""},
		{"group only", func(c *Config) {
			c.Projects = nil
			c.Groups = []GroupConfig{{Path: "acme/web", Include: []string{"*"}}}
		}, ""},
		{"no token", func(c *Config) { c.Token = "" }, "token"},
		{"bad token kind", func(c *Config) { c.TokenKind = "deploy" }, "token_kind"},
		{"credentials in base_url", func(c *Config) { c.BaseURL = "https://u:p@gitlab.example/api/v4" }, "base_url"},
		{"nothing selected", func(c *Config) { c.Projects = nil }, "projects"},
		{"project without group", func(c *Config) { c.Projects[0].Path = "api" }, "projects[0].path"},
		{"duplicate project", func(c *Config) { c.Projects = append(c.Projects, ProjectConfig{Path: "ACME/api"}) }, "duplicate"},
		{"bad glob", func(c *Config) { c.ProductionEnvironments = []string{"prod-["} }, "production_environments[0]"},
		{"bad since", func(c *Config) { c.Since = "July" }, "since"},
		{"bad shipped_at", func(c *Config) { c.ShippedAt = "created" }, "shipped_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok()
			tt.mod(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one naming %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "glpat-x") {
				t.Fatal("the error shows the token")
			}
		})
	}
}

func TestSettings(t *testing.T) {
	c := Config{
		ProductionEnvironments: []string{"production"},
		Projects:               []ProjectConfig{{Path: "acme/api", ProductionEnvironments: []string{"prod-*"}, ShipOnMerge: true}},
		Groups:                 []GroupConfig{{Path: "acme", Exclude: []string{"legacy*"}}},
	}
	tests := []struct {
		project, env  string
		tracked, prod bool
	}{
		{"acme/api", "prod-eu", true, true},
		{"acme/api", "production", true, false},
		{"acme/web", "Production", true, true},
		{"acme/legacy-web", "production", false, true},
		{"other/web", "production", false, true},
	}
	for _, tt := range tests {
		if got := c.tracks(tt.project); got != tt.tracked {
			t.Errorf("tracks(%s) = %v", tt.project, got)
		}
		if got := c.settingsFor(tt.project).isProduction(tt.env); got != tt.prod {
			t.Errorf("isProduction(%s, %s) = %v", tt.project, tt.env, got)
		}
	}
}
