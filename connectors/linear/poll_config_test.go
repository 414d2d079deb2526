package linear

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/goalpost/goalpost/internal/confval"
)

func TestLinearConfigDecodeStrict(t *testing.T) {
	const doc = `
api_key = "${LINEAR_API_KEY}"
webhook_secret = "a-webhook-secret-of-16+-bytes"
teams = ["ENG", "OPS"]
poll_interval = "10m"
overlap = "5m"
backfill = "2160h"
page_size = 100
blocked_labels = ["Blocked", "waiting"]
blocked_states = ["Blocked"]
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
	p := c.pollSettings()
	if p.interval != 10*time.Minute || p.overlap != 5*time.Minute || p.pageSize != 100 || !slices.Equal(p.teams, []string{"ENG", "OPS"}) {
		t.Errorf("settings %+v", p)
	}
}

func TestLinearConfigValidate(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		wantKeys []string
	}{
		{"minimal", Config{APIKey: "k"}, nil},
		{"missing key", Config{}, []string{"api_key"}},
		{"bad base_url", Config{APIKey: "k", BaseURL: "api.linear.app"}, []string{"base_url"}},
		{"bad team key", Config{APIKey: "k", Teams: []string{"ENG", "not a key"}}, []string{"teams"}},
		{"poll too fast", Config{APIKey: "k", PollInterval: confval.Duration{Duration: time.Second}}, []string{"poll_interval"}},
		{"page too big", Config{APIKey: "k", PageSize: 250}, []string{"page_size"}},
		{"negative overlap and backfill", Config{APIKey: "k", Overlap: confval.Duration{Duration: -1}, Backfill: confval.Duration{Duration: -1}}, []string{"backfill", "overlap"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []string
			for _, e := range confval.Flatten(tt.cfg.Validate()) {
				var fe *confval.FieldError
				if !errors.As(e, &fe) {
					t.Fatalf("%v is not a FieldError", e)
				}
				keys = append(keys, fe.Key)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tt.wantKeys) {
				t.Errorf("keys = %v, want %v", keys, tt.wantKeys)
			}
		})
	}
}

func TestLinearPollDefaults(t *testing.T) {
	p := (&Config{}).pollSettings()
	if p.interval != DefaultPollInterval || p.overlap != DefaultOverlap || p.backfill != DefaultBackfill || p.pageSize != DefaultPageSize ||
		!slices.Equal(p.blockedLabels, []string{"Blocked"}) || !slices.Equal(p.blockedStates, []string{"Blocked"}) {
		t.Errorf("defaults %+v", p)
	}
}
