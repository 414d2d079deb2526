package report

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/rules/calendar"
)

// Defaults of the [report] section.
const (
	DefaultDay       = "monday"
	DefaultTime      = "09:00"
	DefaultCatchUp   = 24 * time.Hour
	DefaultGridWeeks = 4
)

// Destination types.
const (
	DestStdout = "stdout"
	DestFile   = "file"
	DestSlack  = "slack"
	// DestSlackApp posts through the Slack app (bot token): owners
	// mentioned, messages edited in place, opt-in private nudges.
	DestSlackApp = "slack_app"
	DestNotion   = "notion"
)

// Config is the [report] section: when the weekly check-in is sent, and
// where.
//
//	[report]
//	day = "monday"      # in each team's time zone
//	time = "09:00"
//	catch_up = "24h"    # send a missed report at most this late
//	grid_weeks = 4
//
//	[[report.destinations]]
//	name = "eng-channel"
//	type = "slack"
//	webhook_url = "${SLACK_WEBHOOK_URL}"
type Config struct {
	// Day and Time are when each team's report for the week that just ended
	// is sent, in the team's time zone (default monday 09:00).
	Day  string `toml:"day"`
	Time string `toml:"time"`
	// CatchUp bounds how late a missed report is still sent, e.g. after the
	// daemon was down over the scheduled time (default 24h). A delivery
	// already started is always finished, however late.
	CatchUp confval.Duration `toml:"catch_up"`
	// GridWeeks is how many weeks the baseline grid shows (default 4).
	GridWeeks    int                 `toml:"grid_weeks"`
	Destinations []DestinationConfig `toml:"destinations"`
	// Wins posts what reached production to a Slack channel as it happens
	// (nil: off).
	Wins *WinsConfig `toml:"wins"`
}

// WinsConfig is the [report.wins] section: a Slack message listing the
// changes that reached production, each with its author and the key
// results it moved, at most one message per interval (edited while the
// interval lasts).
type WinsConfig struct {
	// Destination names the slack_app destination whose token is used.
	Destination string `toml:"destination"`
	// Channel is where wins go (default: the destination's channel).
	Channel string `toml:"channel"`
	// Interval is how long one message collects wins (default 1h, 5m..24h).
	Interval confval.Duration `toml:"interval"`
}

// DestinationConfig is one [[report.destinations]] entry.
type DestinationConfig struct {
	// Name identifies the destination in the outbox (report:NAME:WEEK/TEAM); renaming it sends
	// that week's report again.
	Name string `toml:"name"`
	Type string `toml:"type"` // stdout | file | slack | notion
	// Teams limits the destination to these teams (default: every team).
	Teams []string `toml:"teams"`
	// Format is the rendering for stdout and file: md, html, json or slack
	// (default: from the file extension, else md).
	Format string `toml:"format"`
	// Path is the file to write (type file); {team} and {week} are replaced,
	// e.g. "reports/{team}/{week}.md".
	Path string `toml:"path"`
	// WebhookURL is the Slack incoming-webhook URL (type slack).
	WebhookURL secret.String `toml:"webhook_url"`
	// ParentPageID is the Notion page under which one page per team and
	// week is created (type notion). The token is [notion] token unless
	// Token is set.
	ParentPageID string        `toml:"parent_page_id"`
	Token        secret.String `toml:"token"`
	// Channel is the Slack channel id the Slack app posts to (type
	// slack_app, with Token a bot token).
	Channel string `toml:"channel"`
	// Nudge lists the people (keys, or "all") who opted in to a private
	// Slack message after two misses in a row (type slack_app). Default
	// nobody; a nudge is never posted in a channel.
	Nudge []string `toml:"nudge"`
	// BaseURL is the Slack Web API base for type slack_app ("": Slack's,
	// https://slack.com/api); the sandbox points it at its fake.
	BaseURL string `toml:"base_url"`
}

var (
	nameRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	slackChannel = regexp.MustCompile(`^[CG][A-Z0-9]{6,20}$`)
)

// Validate checks the section without any I/O. Errors are confval field
// errors keyed below the section ("destinations[1].webhook_url").
func (c *Config) Validate() error {
	var errs []error
	if _, err := calendar.ParseWeekday(c.Day); err != nil {
		errs = append(errs, confval.Fieldf("day", "want monday..sunday, got %q", c.Day))
	}
	if c.Time != "" {
		if _, err := calendar.ParseClock(c.Time); err != nil {
			errs = append(errs, confval.Field("time", err))
		}
	}
	if c.CatchUp.Duration < 0 || c.CatchUp.Duration > 7*24*time.Hour {
		errs = append(errs, confval.Fieldf("catch_up", "want 0 (default %s) to 168h", DefaultCatchUp))
	}
	if c.GridWeeks < 0 || c.GridWeeks > 26 {
		errs = append(errs, confval.Fieldf("grid_weeks", "want 1..26 (default %d)", DefaultGridWeeks))
	}
	seen := map[string]bool{}
	for i, d := range c.Destinations {
		key := fmt.Sprintf("destinations[%d]", i)
		errs = append(errs, confval.Prefix(key, d.validate()))
		if seen[d.Name] && d.Name != "" {
			errs = append(errs, confval.Fieldf(key+".name", "duplicate destination name %q", d.Name))
		}
		seen[d.Name] = true
	}
	if c.Wins != nil {
		errs = append(errs, confval.Prefix("wins", c.Wins.validate(c.Destinations)))
	}
	return errors.Join(errs...)
}

func (d *DestinationConfig) validate() error {
	var errs []error
	if !nameRE.MatchString(d.Name) {
		errs = append(errs, confval.Fieldf("name", "want a short lowercase name (a-z, 0-9, _ . -), got %q", d.Name))
	}
	for i, t := range d.Teams {
		if strings.TrimSpace(t) == "" {
			errs = append(errs, confval.Fieldf(fmt.Sprintf("teams[%d]", i), "empty team name"))
		}
	}
	switch d.Type {
	case DestStdout:
		errs = append(errs, d.only("format")...)
		errs = append(errs, d.validateFormat()...)
	case DestFile:
		errs = append(errs, d.only("format", "path")...)
		if d.Path == "" {
			errs = append(errs, confval.Fieldf("path", "required for type file"))
		}
		errs = append(errs, d.validateFormat()...)
	case DestSlack:
		errs = append(errs, d.only("webhook_url")...)
		errs = append(errs, validateWebhookURL(d.WebhookURL)...)
	case DestSlackApp:
		errs = append(errs, d.only("token", "channel", "nudge", "base_url")...)
		if u, err := url.Parse(d.BaseURL); d.BaseURL != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
			errs = append(errs, confval.Fieldf("base_url", "want an http(s) URL such as https://slack.com/api, got %q", d.BaseURL))
		}
		if !d.Token.IsSet() {
			errs = append(errs, confval.Fieldf("token", "a bot token (xoxb-…) is required for type slack_app"))
		}
		if !slackChannel.MatchString(d.Channel) {
			errs = append(errs, confval.Fieldf("channel", "want a Slack channel id such as C0123456789, got %q", d.Channel))
		}
	case DestNotion:
		errs = append(errs, d.only("parent_page_id", "token")...)
		if _, err := notion.ParseID(d.ParentPageID); err != nil {
			errs = append(errs, confval.Fieldf("parent_page_id", "want a Notion page id (32 hex digits, dashes optional), got %q", d.ParentPageID))
		}
	default:
		errs = append(errs, confval.Fieldf("type", "want stdout, file, slack, slack_app or notion, got %q", d.Type))
	}
	return errors.Join(errs...)
}

// only reports the type-specific keys that are set but not allowed.
func (d *DestinationConfig) only(allowed ...string) []error {
	set := map[string]bool{
		"format": d.Format != "", "path": d.Path != "", "webhook_url": d.WebhookURL.IsSet(),
		"parent_page_id": d.ParentPageID != "", "token": d.Token.IsSet(), "channel": d.Channel != "", "nudge": len(d.Nudge) > 0,
		"base_url": d.BaseURL != "",
	}
	for _, a := range allowed {
		delete(set, a)
	}
	var errs []error
	for _, k := range []string{"format", "path", "webhook_url", "parent_page_id", "token", "channel", "nudge", "base_url"} {
		if set[k] {
			errs = append(errs, confval.Fieldf(k, "not used by type %s", d.Type))
		}
	}
	return errs
}

func (d *DestinationConfig) validateFormat() []error {
	if _, err := d.format(); err != nil {
		return []error{confval.Field("format", err)}
	}
	return nil
}

// format is the rendering for stdout and file destinations.
func (d *DestinationConfig) format() (string, error) {
	f := d.Format
	if f == "" {
		switch strings.ToLower(filepath.Ext(d.Path)) {
		case ".html", ".htm":
			f = FormatHTML
		case ".json":
			f = FormatJSON
		default:
			f = FormatMarkdown
		}
	}
	for _, ok := range Formats() {
		if f == ok {
			return f, nil
		}
	}
	return "", fmt.Errorf("want one of %s, got %q", strings.Join(Formats(), ", "), f)
}

// validateWebhookURL checks a Slack webhook URL without ever echoing it.
func validateWebhookURL(s secret.String) []error {
	if !s.IsSet() {
		return []error{confval.Fieldf("webhook_url", "required for type slack")}
	}
	v := s.Reveal()
	if strings.Contains(v, "${") {
		return nil // expanded from the environment when the file is loaded
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return []error{confval.Fieldf("webhook_url", "want an https URL such as https://hooks.slack.com/services/… (value not shown)")}
	}
	return nil
}

// ApplyDefaults fills the unset keys of the section: the one place its
// defaults are set. internal/config calls it once after decoding; NewBuilder
// and NewScheduler call it on their copy, since the section is optional.
func (c *Config) ApplyDefaults() {
	c.Day = cmp.Or(c.Day, DefaultDay)
	c.Time = cmp.Or(c.Time, DefaultTime)
	c.CatchUp.Duration = cmp.Or(c.CatchUp.Duration, DefaultCatchUp)
	c.GridWeeks = cmp.Or(c.GridWeeks, DefaultGridWeeks)
	if c.Wins != nil {
		w := *c.Wins // not shared with a section this one was copied from
		w.Interval.Duration = cmp.Or(w.Interval.Duration, DefaultWinsInterval)
		c.Wins = &w
	}
}

// withDefaults returns a copy of cfg (nil: an empty section) with its
// defaults applied.
func withDefaults(cfg *Config) Config {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	c.ApplyDefaults()
	return c
}

// schedule returns the day, time and catch-up of a valid section.
func (c *Config) schedule() (time.Weekday, calendar.Clock, time.Duration) {
	day, _ := calendar.ParseWeekday(c.Day)
	clock, _ := calendar.ParseClock(c.Time)
	return day, clock, c.CatchUp.Duration
}

// forTeam reports whether the destination takes team's report.
func (d *DestinationConfig) forTeam(team string) bool {
	if len(d.Teams) == 0 {
		return true
	}
	for _, t := range d.Teams {
		if t == team {
			return true
		}
	}
	return false
}
