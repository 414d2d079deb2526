// Package outbox holds the values goalpost persists in its outbox and hands
// to the sinks that send them: where a send goes (Target) and what it
// carries (Update for a key result, Report for a weekly report). It is to
// writeback what pipeline/event is to the stream: the engine and the report
// scheduler produce these values, the store keeps them, writeback.Sender
// hands them to sinks. It does no I/O.
package outbox

import (
	"errors"
	"fmt"
	"strings"
)

// Services a target can name.
const (
	ServiceNotion = "notion"
	ServiceLinear = "linear"
	ServiceReport = "report"
	ServiceAsana  = "asana"
)

// Target is where one send goes: a service, a kind of object in it and the
// object's id, e.g. {notion page <page id>}, {linear project <id>},
// {linear initiative <id>}, or {report <destination> <week>/<team>}. The
// outbox keeps one payload per target. Its text form, "service:kind:id", is
// made by String and read by ParseTarget, and nowhere else.
type Target struct {
	Service string
	Kind    string
	ID      string
}

// NotionPage is the target of a key result's Notion page (id or page URL).
func NotionPage(id string) Target { return Target{Service: ServiceNotion, Kind: "page", ID: id} }

// LinearProject is the target of a key result's Linear project.
func LinearProject(id string) Target { return Target{Service: ServiceLinear, Kind: "project", ID: id} }

// LinearInitiative is the target of a key result's Linear initiative.
func LinearInitiative(id string) Target {
	return Target{Service: ServiceLinear, Kind: "initiative", ID: id}
}

// AsanaGoal is the target of a key result's Asana goal.
func AsanaGoal(gid string) Target { return Target{Service: ServiceAsana, Kind: "goal", ID: gid} }

// String is the target's text form, "service:kind:id": the outbox key and
// what status shows.
func (t Target) String() string { return t.Service + ":" + t.Kind + ":" + t.ID }

// IsZero reports whether t names nothing (as a selector: every target).
func (t Target) IsZero() bool { return t == Target{} }

// ParseTarget reads a target's text form. The id may contain ':' (a page
// URL); service and kind may not, and none of the three may be empty.
func ParseTarget(s string) (Target, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return Target{}, fmt.Errorf("target %q: want service:kind:id", s)
	}
	return Target{Service: parts[0], Kind: parts[1], ID: parts[2]}, nil
}

// ParseSelector reads what `status --retry-parked` names: "all" (or "")
// for every target, a service ("notion", "notion:") for all of its
// targets, or one target ("notion:page:ID"). A zero selector selects every
// target, one with only a service every target of that service, any other
// exactly that target.
func ParseSelector(s string) (Target, error) {
	switch s = strings.TrimSpace(s); {
	case s == "" || s == "all":
		return Target{}, nil
	case !strings.Contains(strings.TrimSuffix(s, ":"), ":"):
		return Target{Service: strings.TrimSuffix(s, ":")}, nil
	}
	t, err := ParseTarget(s)
	if err != nil {
		return Target{}, errors.New(`want "all", a service ("notion") or a target ("notion:page:ID")`)
	}
	return t, nil
}
