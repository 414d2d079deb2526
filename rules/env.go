package rules

import (
	"path"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// Env is what a match expression sees: the fields of one event (by their
// snake_case names) and a few helpers. Expressions are type-checked against
// it when the config is checked, so an unknown field is an error then, not a
// silent false later.
//
// Fields: id, source, kind, occurred_at (time), created_at (time: when the
// issue or incident was created, on each of its events; the zero time when
// the event does not say), actor (the person key, ""
// when the handle is unmapped), handle (the raw handle), team (the actor's
// team), repo, title, url, unit, links, labels, environment, shas, numbers
// (map of float), attrs (map of string), shipped_count.
//
// Helpers: has_label(name) (case-insensitive), label_matches(glob),
// has_link(key), num(name) (0 when absent), has_num(name), attr(name) (""
// when absent). A missing map key reads as the zero value, so
// numbers.lead_time_seconds > 0 is false, not an error, on events without it.
type Env struct {
	ID           string             `expr:"id"`
	Source       string             `expr:"source"`
	Kind         string             `expr:"kind"`
	OccurredAt   time.Time          `expr:"occurred_at"`
	CreatedAt    time.Time          `expr:"created_at"`
	Actor        string             `expr:"actor"`
	Handle       string             `expr:"handle"`
	Team         string             `expr:"team"`
	Repo         string             `expr:"repo"`
	Title        string             `expr:"title"`
	URL          string             `expr:"url"`
	Unit         string             `expr:"unit"`
	Links        []string           `expr:"links"`
	Labels       []string           `expr:"labels"`
	Environment  string             `expr:"environment"`
	SHAs         []string           `expr:"shas"`
	Numbers      map[string]float64 `expr:"numbers"`
	Attrs        map[string]string  `expr:"attrs"`
	ShippedCount int                `expr:"shipped_count"`

	HasLabel     func(name string) bool    `expr:"has_label"`
	LabelMatches func(glob string) bool    `expr:"label_matches"`
	HasLink      func(key string) bool     `expr:"has_link"`
	Num          func(name string) float64 `expr:"num"`
	HasNum       func(name string) bool    `expr:"has_num"`
	Attr         func(name string) string  `expr:"attr"`
}

// NewEnv builds the environment for ev; team is the actor's team ("" when
// unknown). ev.Actor should already hold the person key.
func NewEnv(ev *event.Event, team string) *Env {
	e := &Env{
		ID: ev.ID, Source: ev.Source, Kind: ev.Kind, OccurredAt: ev.OccurredAt,
		Actor: ev.Actor, Handle: ev.ActorHandle, Team: team, Repo: ev.Repo,
		Title: ev.Title, URL: ev.URL, Unit: ev.Unit, Links: ev.Links, Labels: ev.Labels,
		Environment: ev.Environment, SHAs: ev.SHAs, Numbers: ev.Numbers, Attrs: ev.Attrs,
		ShippedCount: len(ev.Shipped),
	}
	e.CreatedAt, _ = ev.CreatedAt()
	if n, ok := ev.Numbers["shipped_count"]; ok && int(n) > e.ShippedCount {
		e.ShippedCount = int(n) // a deploy event lists at most event.MaxShippedListed changes
	}
	e.HasLabel = func(name string) bool {
		return slices.ContainsFunc(e.Labels, func(l string) bool { return strings.EqualFold(l, name) })
	}
	e.LabelMatches = func(glob string) bool {
		return slices.ContainsFunc(e.Labels, func(l string) bool {
			ok, _ := path.Match(strings.ToLower(glob), strings.ToLower(l))
			return ok
		})
	}
	e.HasLink = func(key string) bool {
		return slices.ContainsFunc(e.Links, func(l string) bool { return strings.EqualFold(l, key) })
	}
	e.Num = func(name string) float64 { return e.Numbers[name] }
	e.HasNum = func(name string) bool { _, ok := e.Numbers[name]; return ok }
	e.Attr = func(name string) string { return e.Attrs[name] }
	return e
}
