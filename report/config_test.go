package report

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/rules/calendar"
)

const hookURL = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"

func TestConfigDecodeAndValidate(t *testing.T) {
	const doc = `
day = "friday"
time = "16:30"
catch_up = "6h"
grid_weeks = 6

[[destinations]]
name = "eng-channel"
type = "slack"
webhook_url = "` + hookURL + `"
teams = ["platform"]

[[destinations]]
name = "wiki"
type = "notion"
parent_page_id = "393abc1e-edcd-80f3-813b-e205934558c6"

[[destinations]]
name = "archive"
type = "file"
path = "reports/{team}/{week}.html"
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
	c.ApplyDefaults()
	day, clock, catchUp := c.schedule()
	if day != time.Friday || clock != (calendar.Clock{Hour: 16, Minute: 30}) || catchUp != 6*time.Hour || c.GridWeeks != 6 {
		t.Errorf("schedule = %v %v %v %d", day, clock, catchUp, c.GridWeeks)
	}
	if f, _ := c.Destinations[2].format(); f != FormatHTML {
		t.Errorf("format from extension = %q", f)
	}
}

func TestConfigDefaults(t *testing.T) {
	var c Config
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	day, clock, catchUp := c.schedule()
	if day != time.Monday || clock != (calendar.Clock{Hour: 9}) || catchUp != DefaultCatchUp || c.GridWeeks != DefaultGridWeeks {
		t.Errorf("defaults = %v %v %v %d", day, clock, catchUp, c.GridWeeks)
	}
	if d := withDefaults(nil); d.Day != c.Day || d.Time != c.Time || d.CatchUp != c.CatchUp || d.GridWeeks != c.GridWeeks {
		t.Errorf("withDefaults(nil) = %+v, want %+v", d, c)
	}
}

func TestConfigValidateErrors(t *testing.T) {
	slack := func(url string) DestinationConfig {
		return DestinationConfig{Name: "s", Type: DestSlack, WebhookURL: secretOf(url)}
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		keys []string
	}{
		{name: "bad day", cfg: Config{Day: "someday"}, keys: []string{"day"}},
		{name: "bad time", cfg: Config{Time: "9am"}, keys: []string{"time"}},
		{name: "catch-up too long", cfg: Config{CatchUp: confval.Duration{Duration: 200 * time.Hour}}, keys: []string{"catch_up"}},
		{name: "grid too wide", cfg: Config{GridWeeks: 60}, keys: []string{"grid_weeks"}},
		{name: "unknown type", cfg: Config{Destinations: []DestinationConfig{{Name: "x", Type: "email"}}}, keys: []string{"destinations[0].type"}},
		{name: "bad and duplicate names", cfg: Config{Destinations: []DestinationConfig{{Name: "Eng Channel", Type: "stdout"}, {Name: "a", Type: "stdout"}, {Name: "a", Type: "stdout"}}},
			keys: []string{"destinations[0].name", "destinations[2].name"}},
		{name: "slack without url", cfg: Config{Destinations: []DestinationConfig{{Name: "s", Type: DestSlack}}}, keys: []string{"destinations[0].webhook_url"}},
		{name: "slack url not a url", cfg: Config{Destinations: []DestinationConfig{slack("hooks.slack.com/XXXXSECRETXXXX")}}, keys: []string{"destinations[0].webhook_url"}},
		{name: "slack url from env is checked after expansion", cfg: Config{Destinations: []DestinationConfig{slack("${SLACK_URL}")}}},
		{name: "key for another type", cfg: Config{Destinations: []DestinationConfig{{Name: "s", Type: DestSlack, WebhookURL: hookURL, Path: "x.md"}}}, keys: []string{"destinations[0].path"}},
		{name: "file without path", cfg: Config{Destinations: []DestinationConfig{{Name: "f", Type: DestFile}}}, keys: []string{"destinations[0].path"}},
		{name: "file with unknown format", cfg: Config{Destinations: []DestinationConfig{{Name: "f", Type: DestFile, Path: "r.md", Format: "pdf"}}}, keys: []string{"destinations[0].format"}},
		{name: "notion bad page id", cfg: Config{Destinations: []DestinationConfig{{Name: "n", Type: DestNotion, ParentPageID: "my page"}}}, keys: []string{"destinations[0].parent_page_id"}},
		{name: "empty team", cfg: Config{Destinations: []DestinationConfig{{Name: "o", Type: DestStdout, Teams: []string{""}}}}, keys: []string{"destinations[0].teams[0]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			var keys []string
			for _, e := range confval.Flatten(err) {
				var fe *confval.FieldError
				if !errors.As(e, &fe) {
					t.Fatalf("not a field error: %v", e)
				}
				keys = append(keys, fe.Key)
			}
			if !slices.Equal(keys, tc.keys) {
				t.Errorf("error keys = %v, want %v (%v)", keys, tc.keys, err)
			}
			if err != nil && strings.Contains(err.Error(), "XXXXSECRETXXXX") {
				t.Errorf("error reveals the webhook URL: %v", err)
			}
		})
	}
}

func secretOf(s string) secret.String { return secret.String(s) }
