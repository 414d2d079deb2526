// Package notion is the Notion connector: it writes key-result progress to
// Notion pages through jomei/notionapi and can read key results from a
// Notion database.
package notion

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/rules"
)

// Defaults.
const (
	DefaultBaseURL           = "https://api.notion.com/v1/"
	DefaultRequestsPerSecond = 3.0
	DefaultEvidenceLimit     = 20
	// DefaultNotesInterval is how often the daemon reads the owners' notes
	// back from the check-ins (ADR 56).
	DefaultNotesInterval = 5 * time.Minute
	// Disabled, given as a property name, turns that property off.
	Disabled = "-"
)

// Check-in modes.
const (
	CheckinCallout = "callout" // one callout block per page, updated in place
	CheckinOff     = "off"
)

// Config is the [notion] section.
type Config struct {
	BaseURL string        `toml:"base_url"` // default https://api.notion.com/v1/
	Token   secret.String `toml:"token"`
	// RequestsPerSecond is the average request rate per token (default 3,
	// Notion's documented limit); bursts of the same size are allowed.
	RequestsPerSecond float64 `toml:"requests_per_second"`
	// Properties names the page properties goalpost writes.
	Properties Properties `toml:"properties"`
	// StatusNames maps goalpost statuses to the option names of the Status
	// property (a select or a status property). A status property's options
	// must already exist in the database.
	StatusNames StatusNames `toml:"status_names"`
	// EvidenceLimit bounds the evidence links written to the Evidence property
	// and the check-in (default 20); the rest is summarized as "… and N more".
	EvidenceLimit int `toml:"evidence_limit"`
	// Checkin is "callout" (default: a weekly check-in callout on each key
	// result's page, updated in place) or "off".
	Checkin string `toml:"checkin"`
	// NotesInterval is how often the daemon reads the owners' notes back
	// from under the check-in callouts (default 5m, at least 1m; ADR 56).
	NotesInterval confval.Duration `toml:"notes_interval"`
	// Goals reads key results from a Notion database (optional).
	Goals GoalsConfig `toml:"goals"`
}

// Properties are the names of the page properties goalpost writes. An empty
// name means the default; "-" turns the property off.
type Properties struct {
	Current    string `toml:"current"`     // number, default "Current"
	Target     string `toml:"target"`      // number, default "Target"
	Progress   string `toml:"progress"`    // number 0..1, default "Progress"
	Status     string `toml:"status"`      // select or status, default "Status"
	LastSynced string `toml:"last_synced"` // date, default "Last synced"
	Evidence   string `toml:"evidence"`    // rich text, default "Evidence"
}

// StatusNames are the option names written for each status. Empty means the
// default (On track, At risk, Off track, Done, Stale).
type StatusNames struct {
	OnTrack  string `toml:"on_track"`
	AtRisk   string `toml:"at_risk"`
	OffTrack string `toml:"off_track"`
	Done     string `toml:"done"`
	Stale    string `toml:"stale"`
}

// GoalsConfig is [notion.goals]: key results kept as rows of a database,
// tied to the config's key results by the Key property.
type GoalsConfig struct {
	DatabaseID string `toml:"database_id"`
	// Property names; empty means the default. Title defaults to the
	// database's title property.
	KeyProperty      string `toml:"key_property"`      // default "Key"
	TitleProperty    string `toml:"title_property"`    // default: the title property
	OwnerProperty    string `toml:"owner_property"`    // default "Owner"
	TargetProperty   string `toml:"target_property"`   // default "Target"
	BaselineProperty string `toml:"baseline_property"` // default "Baseline"
}

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	if !c.Token.IsSet() {
		errs = append(errs, confval.Fieldf("token", "required"))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, confval.Fieldf("base_url", "want an http(s) URL such as %s", DefaultBaseURL))
		}
	}
	if c.RequestsPerSecond < 0 || c.RequestsPerSecond > 1000 {
		errs = append(errs, confval.Fieldf("requests_per_second", "want a rate between 0 (default %g) and 1000", DefaultRequestsPerSecond))
	}
	if c.EvidenceLimit < 0 || c.EvidenceLimit > 40 {
		errs = append(errs, confval.Fieldf("evidence_limit", "want 0 (default %d) to 40 (Notion allows 100 rich-text items)", DefaultEvidenceLimit))
	}
	switch c.Checkin {
	case "", CheckinCallout, CheckinOff:
	default:
		errs = append(errs, confval.Fieldf("checkin", "want %q or %q, got %q", CheckinCallout, CheckinOff, c.Checkin))
	}
	if d := c.NotesInterval.Duration; d != 0 && d < time.Minute {
		errs = append(errs, confval.Fieldf("notes_interval", "want at least 1m (default %s): Notion rounds edit times to the minute", DefaultNotesInterval))
	}
	errs = append(errs, c.validateNames()...)
	if id := c.Goals.DatabaseID; id != "" && !validID(id) {
		errs = append(errs, confval.Fieldf("goals.database_id", "want a Notion id (32 hex digits, dashes optional), got %q", id))
	}
	return errors.Join(errs...)
}

func (c *Config) validateNames() []error {
	var errs []error
	seen := map[string]string{}
	for key, name := range c.propertyNames() {
		if name == Disabled {
			continue
		}
		if strings.TrimSpace(name) != name || len(name) > 100 {
			errs = append(errs, confval.Fieldf("properties."+key, "invalid property name %q", name))
		}
		if other, dup := seen[name]; dup {
			errs = append(errs, confval.Fieldf("properties."+key, "property %q is also used for %s", name, other))
		}
		seen[name] = key
	}
	for key, name := range c.statusNames() {
		if strings.Contains(name, ",") && key != "" {
			errs = append(errs, confval.Fieldf("status_names."+key, "option names cannot contain commas"))
		}
	}
	return errs
}

// propertyNames returns the effective property names by config key, in a
// fixed order of keys.
func (c *Config) propertyNames() map[string]string {
	p := c.Properties
	return map[string]string{
		"current":     or(p.Current, "Current"),
		"target":      or(p.Target, "Target"),
		"progress":    or(p.Progress, "Progress"),
		"status":      or(p.Status, "Status"),
		"last_synced": or(p.LastSynced, "Last synced"),
		"evidence":    or(p.Evidence, "Evidence"),
	}
}

// statusNames returns the effective option name by goalpost status.
func (c *Config) statusNames() map[string]string {
	n := c.StatusNames
	return map[string]string{
		rules.StatusOnTrack:  or(n.OnTrack, present.Status(rules.StatusOnTrack)),
		rules.StatusAtRisk:   or(n.AtRisk, present.Status(rules.StatusAtRisk)),
		rules.StatusOffTrack: or(n.OffTrack, present.Status(rules.StatusOffTrack)),
		rules.StatusDone:     or(n.Done, present.Status(rules.StatusDone)),
		rules.StatusStale:    or(n.Stale, present.Status(rules.StatusStale)),
	}
}

func (c *Config) baseURL() string {
	u := or(c.BaseURL, DefaultBaseURL)
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

func (c *Config) rps() float64 {
	if c.RequestsPerSecond == 0 {
		return DefaultRequestsPerSecond
	}
	return c.RequestsPerSecond
}

func (c *Config) evidenceLimit() int {
	if c.EvidenceLimit == 0 {
		return DefaultEvidenceLimit
	}
	return c.EvidenceLimit
}

func (c *Config) checkin() string { return or(c.Checkin, CheckinCallout) }

// ReadsNotes reports whether goalpost keeps check-ins on the pages, under
// which owners write their notes.
func (c *Config) ReadsNotes() bool { return c.checkin() == CheckinCallout }

// NotesEvery is the effective notes_interval.
func (c *Config) NotesEvery() time.Duration {
	return cmp.Or(c.NotesInterval.Duration, DefaultNotesInterval)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// validID reports whether id looks like a Notion id (a UUID, dashes optional).
func validID(id string) bool {
	_, err := ParseID(id)
	return err == nil
}

// ParseID returns a Notion id (32 hex digits, dashes optional) in dashed
// lowercase form. It is goalpost's one Notion id normalizer: config checks
// elsewhere (report destinations) use it too.
func ParseID(id string) (string, error) {
	h := strings.ToLower(strings.ReplaceAll(id, "-", ""))
	if len(h) != 32 || strings.Trim(h, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%q is not a Notion id", id)
	}
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}

// ApplyDefaults fills unset keys with their defaults, so that check --print
// shows the effective values.
func (c *Config) ApplyDefaults() {
	c.BaseURL = cmp.Or(c.BaseURL, DefaultBaseURL)
	c.RequestsPerSecond = cmp.Or(c.RequestsPerSecond, DefaultRequestsPerSecond)
	c.EvidenceLimit = cmp.Or(c.EvidenceLimit, DefaultEvidenceLimit)
	c.NotesInterval.Duration = c.NotesEvery()
}
