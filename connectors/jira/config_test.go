package jira

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/goalpost/goalpost/internal/confval"
)

func TestConfigDecodeStrict(t *testing.T) {
	const doc = `
base_url = "https://acme.atlassian.net"
email = "bot@acme.com"
token = "${JIRA_TOKEN}"
webhook_secret = "a-webhook-secret-of-16+-bytes"
projects = ["AUTH", "OPS"]
jql = "issuetype != Sub-task"
poll_interval = "5m"
overlap = "3m"
backfill = "2160h"
page_size = 200
story_points_field = "customfield_10016"
epic_link_field = "customfield_10014"
number_fields = { customer_tickets = "customfield_10050" }
[blocked]
flag_field = "customfield_10021"
labels = ["blocked", "waiting-on-vendor"]
statuses = ["Blocked"]
`
	var c Config
	dec := toml.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.PollInterval.Duration != 5*time.Minute || c.NumberFields["customer_tickets"] != "customfield_10050" || len(c.Blocked.Labels) != 2 {
		t.Errorf("decoded %+v", c)
	}
	if s := fmt.Sprintf("%v %+v", c, c); strings.Contains(s, "JIRA_TOKEN") {
		t.Errorf("config prints its token: %s", s)
	}
}

func TestConfigValidate(t *testing.T) {
	valid := func() Config {
		return Config{BaseURL: "https://acme.atlassian.net", Email: "a@b.c", Token: "t", Projects: []string{"AUTH"}}
	}
	tests := []struct {
		name     string
		mod      func(*Config)
		wantKeys []string
	}{
		{"valid", func(*Config) {}, nil},
		{"data center without email", func(c *Config) { c.Deployment, c.Email = DeploymentDataCenter, "" }, nil},
		{"jql instead of projects", func(c *Config) { c.Projects, c.JQL = nil, "labels = okr" }, nil},
		{"missing base_url and token", func(c *Config) { c.BaseURL, c.Token = "", "" }, []string{"base_url", "token"}},
		{"base_url not a URL", func(c *Config) { c.BaseURL = "acme.atlassian.net" }, []string{"base_url"}},
		{"cloud without email", func(c *Config) { c.Email = "" }, []string{"email"}},
		{"unknown deployment", func(c *Config) { c.Deployment = "server" }, []string{"deployment"}},
		{"unbounded", func(c *Config) { c.Projects = nil }, []string{"projects"}},
		{"jql with its own order", func(c *Config) { c.JQL = "labels = okr ORDER BY created" }, []string{"jql"}},
		{"bad project key", func(c *Config) { c.Projects = []string{"auth"} }, []string{"projects"}},
		{"poll too fast", func(c *Config) { c.PollInterval = dur(time.Second) }, []string{"poll_interval"}},
		{"negative overlap", func(c *Config) { c.Overlap = dur(-time.Minute) }, []string{"overlap"}},
		{"page size", func(c *Config) { c.PageSize = 6000 }, []string{"page_size"}},
		{"bad field ids", func(c *Config) {
			c.StoryPointsField, c.NumberFields = "Story Points", map[string]string{"x": "custom field"}
		}, []string{"number_fields.x", "story_points_field"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.mod(&c)
			var keys []string
			for _, e := range confval.Flatten(c.Validate()) {
				var fe *confval.FieldError
				if !errors.As(e, &fe) {
					t.Fatalf("%v is not a FieldError", e)
				}
				keys = append(keys, fe.Key)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tt.wantKeys) {
				t.Errorf("error keys = %v, want %v", keys, tt.wantKeys)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := (&Config{BaseURL: "https://acme.atlassian.net/"}).withDefaults()
	if c.BaseURL != "https://acme.atlassian.net" || c.Deployment != DeploymentCloud || c.PollInterval.Duration != DefaultPollInterval ||
		c.Overlap.Duration != DefaultOverlap || c.PageSize != DefaultPageSize || c.Blocked.FlagField != "" ||
		!slices.Equal(c.Blocked.Labels, []string{"blocked"}) {
		t.Errorf("defaults %+v", c)
	}
	off := (&Config{Blocked: BlockedRule{FlagField: "-", Labels: []string{}}}).withDefaults()
	if off.Blocked.FlagField != "-" || len(off.Blocked.Labels) != 0 {
		t.Errorf("explicitly disabled rules %+v", off.Blocked)
	}
}
