// Package config is goalpost's configuration file: plain structs decoded
// strictly from TOML (an unknown key is an error naming file, line and key),
// ${ENV} expansion for secrets, defaults, and Validate, which does no I/O.
// Each connector owns the struct of its own section (connectors/*/config.go).
package config

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/connectors/asana"
	"github.com/goalpost/goalpost/connectors/deploy"
	"github.com/goalpost/goalpost/connectors/github"
	"github.com/goalpost/goalpost/connectors/gitlab"
	"github.com/goalpost/goalpost/connectors/incident"
	"github.com/goalpost/goalpost/connectors/incidentio"
	"github.com/goalpost/goalpost/connectors/jira"
	"github.com/goalpost/goalpost/connectors/linear"
	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/connectors/pagerduty"
	"github.com/goalpost/goalpost/connectors/trello"
	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/pipeline"
	"github.com/goalpost/goalpost/report"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/people"
	"github.com/goalpost/goalpost/writeback"
)

// Config is the whole configuration file.
type Config struct {
	// DataDir holds the SQLite file and the embedded NATS server's storage.
	DataDir  string `toml:"data_dir"`
	LogLevel string `toml:"log_level"` // debug | info | warn | error

	Server ServerConfig    `toml:"server"`
	NATS   pipeline.Config `toml:"nats"`
	Store  StoreConfig     `toml:"store"`
	Engine EngineConfig    `toml:"engine"`
	// Dashboard is the [dashboard] section (pages served on server.admin_listen).
	Dashboard DashboardConfig `toml:"dashboard"`

	GitHub *github.Config `toml:"github"`
	GitLab *gitlab.Config `toml:"gitlab"`
	// Incident tools, and the services map they share.
	PagerDuty  *pagerduty.Config  `toml:"pagerduty"`
	IncidentIO *incidentio.Config `toml:"incidentio"`
	Incidents  *incident.Config   `toml:"incidents"`
	Deploy     *deploy.Config     `toml:"deploy"`
	Jira       *jira.Config       `toml:"jira"`
	Linear     *linear.Config     `toml:"linear"`
	Asana      *asana.Config      `toml:"asana"`
	Trello     *trello.Config     `toml:"trello"`
	Notion     *notion.Config     `toml:"notion"`
	Report     *report.Config     `toml:"report"`

	Writeback writeback.Config `toml:"writeback"`

	Teams      []people.Team     `toml:"teams"`
	People     []people.Person   `toml:"people"`
	Objectives []rules.Objective `toml:"objectives"`

	// path is the file the config was read from, for error messages.
	path  string
	lines lineIndex
	unset []*Error // secrets whose ${VAR} is not set (LoadLenient)
}

// Defaults of the sections this package owns. Connector, [nats],
// [writeback] and [report] defaults live with their sections' structs;
// ApplyDefaults applies them all, once, after decoding.
const (
	DefaultDataDir       = "./data"
	DefaultLogLevel      = "info"
	DefaultListen        = "127.0.0.1:8080"
	DefaultMaxBodyBytes  = 25 << 20
	DefaultServerTimeout = 10 * time.Second
	DefaultTickInterval  = 5 * time.Minute
)

// StoreConfig is the [store] section.
type StoreConfig struct {
	// Driver is the database: "sqlite" (default, the file at Path) or
	// "postgres" (the server at DSN, for several replicas; ADR 22).
	Driver string `toml:"driver"`
	Path   string `toml:"path"` // SQLite; default <data_dir>/goalpost.db
	// DSN is PostgreSQL's connection string (a postgres:// URL or
	// key=value pairs), usually "${DATABASE_URL}"; it may hold a password.
	DSN secret.String `toml:"dsn"`
}

// Store drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Validate checks the driver and that PostgreSQL has a DSN.
func (s StoreConfig) Validate() error {
	switch s.Driver {
	case DriverSQLite:
		if s.DSN.IsSet() {
			return confval.Fieldf("dsn", "is for driver = \"postgres\"; SQLite reads path")
		}
	case DriverPostgres:
		if !s.DSN.IsSet() {
			return confval.Fieldf("dsn", "required with driver = \"postgres\" (e.g. \"${DATABASE_URL}\")")
		}
	default:
		return confval.Fieldf("driver", "want sqlite or postgres, got %q", s.Driver)
	}
	return nil
}

// EngineConfig is the [engine] section.
type EngineConfig struct {
	// TickInterval is how often every key result is re-evaluated so that
	// time-based status (pace, stale) moves without new events (default 5m).
	TickInterval confval.Duration `toml:"tick_interval"`
}

// Sources are the configured sources that goalpost polls, in a stable
// order (the deploy document is received, never polled).
func (c *Config) Sources() []string {
	return names([]named{{"github", c.GitHub != nil}, {"gitlab", c.GitLab != nil}, {"jira", c.Jira != nil}, {"linear", c.Linear != nil},
		{"asana", c.Asana != nil}, {"trello", c.Trello != nil}, {"pagerduty", c.PagerDuty != nil}, {"incidentio", c.IncidentIO != nil}})
}

// WritebackServices are the configured services goalpost writes to (the
// outbox's services), in a stable order.
func (c *Config) WritebackServices() []string {
	return names([]named{{"notion", c.Notion != nil}, {"linear", c.Linear != nil}, {"asana", c.Asana != nil},
		{"report", c.Report != nil}})
}

type named struct {
	name string
	on   bool
}

func names(all []named) []string {
	var out []string
	for _, n := range all {
		if n.on {
			out = append(out, n.name)
		}
	}
	return out
}

// Path returns the file the configuration was loaded from.
func (c *Config) Path() string { return c.path }

// ApplyDefaults fills every unset key with its default: the one place
// defaults are applied, once, after decoding (Parse calls it), so the rest
// of goalpost reads effective values and `check --print` shows them.
func (c *Config) ApplyDefaults() {
	c.DataDir = cmp.Or(c.DataDir, DefaultDataDir)
	c.LogLevel = cmp.Or(c.LogLevel, DefaultLogLevel)
	s := &c.Server
	s.Listen = cmp.Or(s.Listen, DefaultListen)
	s.AdminListen = cmp.Or(s.AdminListen, defaultAdminListen(s.Listen))
	c.Dashboard.People = cmp.Or(c.Dashboard.People, PeopleNamed)
	s.MaxBodyBytes = cmp.Or(s.MaxBodyBytes, DefaultMaxBodyBytes)
	for _, d := range []*confval.Duration{&s.ReadTimeout, &s.WriteTimeout, &s.ShutdownTimeout} {
		d.Duration = cmp.Or(d.Duration, DefaultServerTimeout)
	}
	c.Engine.TickInterval.Duration = cmp.Or(c.Engine.TickInterval.Duration, DefaultTickInterval)
	c.Store.Driver = cmp.Or(c.Store.Driver, DriverSQLite)
	c.Store.Path = cmp.Or(c.Store.Path, filepath.Join(c.DataDir, "goalpost.db"))
	c.NATS.ApplyDefaults()
	c.Writeback.ApplyDefaults()
	for _, s := range []defaulter{c.GitHub, c.GitLab, c.PagerDuty, c.IncidentIO, c.Jira, c.Linear, c.Asana, c.Trello, c.Notion, c.Report} {
		if !reflect.ValueOf(s).IsNil() {
			s.ApplyDefaults()
		}
	}
}

// defaulter is a section that fills its unset keys with their defaults.
type defaulter interface{ ApplyDefaults() }

// Validate checks the whole configuration without I/O. Each error is a
// *confval.FieldError naming the key; Load adds file and line.
func (c *Config) Validate() error {
	var errs []error
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, confval.Fieldf("log_level", "want debug, info, warn or error, got %q", c.LogLevel))
	}
	if _, _, err := net.SplitHostPort(c.Server.Listen); err != nil {
		errs = append(errs, confval.Fieldf("server.listen", "want host:port, got %q", c.Server.Listen))
	}
	errs = append(errs, c.Server.validateAdmin()...)
	errs = append(errs, c.Dashboard.validate()...)
	if c.Server.MaxBodyBytes < 1024 {
		errs = append(errs, confval.Fieldf("server.max_body_bytes", "must be at least 1024"))
	}
	if c.Server.DrainDelay.Duration < 0 {
		errs = append(errs, confval.Fieldf("server.drain_delay", "must not be negative, got %s", c.Server.DrainDelay.Duration))
	}
	errs = append(errs, confval.Prefix("store", c.Store.Validate()))
	errs = append(errs, confval.Prefix("nats", c.NATS.Validate()))
	errs = append(errs, confval.Prefix("writeback", c.Writeback.Validate()))
	errs = append(errs, c.validateSections()...)
	return errors.Join(errs...)
}

type validator interface{ Validate() error }

func (c *Config) validateSections() []error {
	var errs []error
	sections := []struct {
		name string
		v    validator
		set  bool
	}{
		{"github", c.GitHub, c.GitHub != nil},
		{"gitlab", c.GitLab, c.GitLab != nil},
		{"pagerduty", c.PagerDuty, c.PagerDuty != nil},
		{"incidentio", c.IncidentIO, c.IncidentIO != nil},
		{"incidents", c.Incidents, c.Incidents != nil},
		{"deploy", c.Deploy, c.Deploy != nil},
		{"jira", c.Jira, c.Jira != nil},
		{"linear", c.Linear, c.Linear != nil},
		{"asana", c.Asana, c.Asana != nil},
		{"trello", c.Trello, c.Trello != nil},
		{"notion", c.Notion, c.Notion != nil},
		{"report", c.Report, c.Report != nil},
	}
	for _, s := range sections {
		if s.set {
			errs = append(errs, confval.Prefix(s.name, s.v.Validate()))
		}
	}
	errs = append(errs, c.validateBaseURLs()...)
	for i, p := range c.People {
		if p.Key == "" {
			errs = append(errs, confval.Fieldf(fmt.Sprintf("people[%d].key", i), "required"))
		}
	}
	return errs
}

// validateBaseURLs refuses credentials written into a base_url: they would
// end up in request logs and error messages. Tokens belong in token fields.
func (c *Config) validateBaseURLs() []error {
	urls := map[string]string{}
	if c.GitHub != nil {
		urls["github.base_url"] = c.GitHub.BaseURL
	}
	if c.GitLab != nil {
		urls["gitlab.base_url"] = c.GitLab.BaseURL
	}
	if c.PagerDuty != nil {
		urls["pagerduty.base_url"] = c.PagerDuty.BaseURL
	}
	if c.IncidentIO != nil {
		urls["incidentio.base_url"] = c.IncidentIO.BaseURL
	}
	if c.Jira != nil {
		urls["jira.base_url"] = c.Jira.BaseURL
	}
	if c.Linear != nil {
		urls["linear.base_url"] = c.Linear.BaseURL
	}
	if c.Notion != nil {
		urls["notion.base_url"] = c.Notion.BaseURL
	}
	if c.Asana != nil {
		urls["asana.base_url"] = c.Asana.BaseURL
	}
	if c.Trello != nil {
		urls["trello.base_url"] = c.Trello.BaseURL
	}
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(urls)) {
		if u, err := url.Parse(urls[key]); err == nil && u.User != nil {
			errs = append(errs, confval.Fieldf(key, "must not contain credentials; put them in the token setting"))
		}
	}
	return errs
}

// ParseStore reads a store named on the command line: "sqlite:PATH" or
// "postgres:DSN" ("postgres:" alone reads $DATABASE_URL through lookup, so
// the DSN stays out of the process list). Errors never hold the DSN.
func ParseStore(s string, lookup func(string) (string, bool)) (StoreConfig, error) {
	driver, rest, ok := strings.Cut(s, ":")
	switch {
	case !ok:
	case driver == DriverSQLite && rest != "":
		return StoreConfig{Driver: DriverSQLite, Path: rest}, nil
	case driver == DriverPostgres && rest != "":
		return StoreConfig{Driver: DriverPostgres, DSN: secret.String(rest)}, nil
	case driver == DriverPostgres:
		if v, ok := lookup("DATABASE_URL"); ok && v != "" {
			return StoreConfig{Driver: DriverPostgres, DSN: secret.String(v)}, nil
		}
		return StoreConfig{}, errors.New(`"postgres:" reads $DATABASE_URL, which is not set`)
	}
	return StoreConfig{}, errors.New(`want sqlite:PATH or postgres:DSN (postgres: alone reads $DATABASE_URL)`)
}
