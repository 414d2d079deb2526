// Package incident is what every incident tool's connector (PagerDuty,
// incident.io) shares: the [incidents] section, whose services map ties an
// incident tool's service to the repositories and team it belongs to, and
// the one shape of incident.opened / incident.resolved events, so a rule or
// a four-keys aggregate reads incidents the same way whatever tool
// reported them.
package incident

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/pipeline/event"
)

// Config is the [incidents] section.
type Config struct {
	// Services maps an incident tool's service (its name or id, matched
	// case-insensitively) to what it runs: [incidents.services."checkout"]
	// repos = ["acme/api"], team = "payments".
	Services map[string]Service `toml:"services"`
}

// Service is one [incidents.services.NAME] entry.
type Service struct {
	Repos []string `toml:"repos"` // owner/name or group/project
	Team  string   `toml:"team"`
}

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(c.Services)) {
		s := c.Services[name]
		if len(s.Repos) == 0 && s.Team == "" {
			errs = append(errs, confval.Fieldf(fmt.Sprintf("services.%s", name), "name repos or a team"))
		}
		for i, r := range s.Repos {
			if !strings.Contains(r, "/") {
				errs = append(errs, confval.Fieldf(fmt.Sprintf("services.%s.repos[%d]", name, i), "want owner/name, got %q", r))
			}
		}
	}
	return errors.Join(errs...)
}

// lookup finds the service entry for any of names (the tool's service
// name, then its id).
func (c *Config) lookup(names ...string) (Service, bool) {
	if c == nil {
		return Service{}, false
	}
	for _, n := range names {
		for k, s := range c.Services {
			if n != "" && strings.EqualFold(k, n) {
				return s, true
			}
		}
	}
	return Service{}, false
}

// Incident is one incident as a tool reports it.
type Incident struct {
	Source     string // event.SourcePagerDuty, event.SourceIncidentIO
	ID         string // the tool's id
	Ref        string // its human reference (PagerDuty number, "INC-123")
	Title      string
	URL        string
	Service    string // the service's name
	ServiceID  string
	Severity   string // PagerDuty priority or urgency; incident.io severity
	Status     string
	Actor      string
	OpenedAt   time.Time
	ResolvedAt time.Time // zero while open
}

// Events are the incident's facts: incident.opened, and incident.resolved
// with restore_seconds once it is resolved. Ids depend on the source and
// the incident alone, so poll and webhook give the same events.
func (c *Config) Events(in Incident) []event.Event {
	if in.OpenedAt.IsZero() || in.ID == "" {
		return nil
	}
	out := []event.Event{c.event(in, event.KindIncidentOpened, "opened", in.OpenedAt)}
	if !in.ResolvedAt.IsZero() {
		ev := c.event(in, event.KindIncidentResolved, "resolved", in.ResolvedAt)
		ev.Numbers = map[string]float64{"restore_seconds": max(in.ResolvedAt.Sub(in.OpenedAt).Seconds(), 0)}
		out = append(out, ev)
	}
	return out
}

func (c *Config) event(in Incident, kind, verb string, at time.Time) event.Event {
	attrs := map[string]string{"service": in.Service, "severity": in.Severity, "status": in.Status, "ref": in.Ref,
		event.AttrCreatedAt: event.FormatTime(in.OpenedAt)}
	if in.ServiceID != "" {
		attrs["service_id"] = in.ServiceID
	}
	ev := event.Event{
		ID: in.Source + ":incident:" + in.ID + ":" + verb, Source: in.Source, Kind: kind, OccurredAt: at,
		ActorHandle: in.Actor, Title: in.Title, URL: in.URL, Unit: in.Source + ":incident:" + in.ID, Attrs: attrs,
	}
	if s, ok := c.lookup(in.Service, in.ServiceID); ok {
		if len(s.Repos) > 0 {
			ev.Repo = s.Repos[0]
			attrs["repos"] = strings.Join(s.Repos, ",")
		}
		if s.Team != "" {
			attrs["team"] = s.Team
		}
	}
	for k, v := range attrs {
		if v == "" {
			delete(attrs, k)
		}
	}
	ev.Normalize()
	return ev
}
