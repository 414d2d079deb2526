package linear

import (
	"strconv"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// Project kinds, added by this connector for ratio key results over projects.
const (
	KindProjectUpdated   = "project.updated"
	KindProjectCompleted = "project.completed"
)

// polledProject is a Linear project from the projects query or a Project
// webhook.
type polledProject struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	URL         string     `json:"url"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	StartedAt   *time.Time `json:"startedAt"`
	CompletedAt *time.Time `json:"completedAt"`
	CanceledAt  *time.Time `json:"canceledAt"`
	Progress    *float64   `json:"progress"`
	Status      *struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"status"`
	Lead   *struct{ ID string } `json:"lead"`
	LeadID string               `json:"leadId"`
}

// projectCategory maps a project status type (backlog, planned, started,
// paused, completed, canceled) to the shared status categories.
func projectCategory(t string) (cat, resolution string) {
	switch t {
	case "started", "paused":
		return "indeterminate", ""
	case "completed":
		return "done", ""
	case "canceled":
		return "done", "canceled"
	}
	return "new", ""
}

func (p *polledProject) lead() string {
	if p.Lead != nil && p.Lead.ID != "" {
		return p.Lead.ID
	}
	return p.LeadID
}

func (p *polledProject) base(kind, idSuffix string, at time.Time) event.Event {
	ev := event.Event{
		ID: "linear:project:" + p.ID + ":" + idSuffix, Source: event.SourceLinear, Kind: kind,
		OccurredAt: at, ActorHandle: p.lead(), Title: p.Name, URL: p.URL, Unit: "project:" + p.ID,
		Attrs: map[string]string{"project": p.Name, "project_id": p.ID, "updated_at": p.UpdatedAt.UTC().Format(time.RFC3339Nano)},
	}
	if p.Status != nil {
		cat, res := projectCategory(p.Status.Type)
		ev.Attrs["status"], ev.Attrs["state_type"], ev.Attrs["status_category"] = p.Status.Name, p.Status.Type, cat
		if res != "" {
			ev.Attrs["resolution"] = res
		}
	}
	if p.Progress != nil {
		ev.Numbers = map[string]float64{"progress": *p.Progress}
	}
	ev.Normalize()
	return ev
}

// events returns a project's facts: completed (keyed by completedAt or
// canceledAt) and updated (keyed by updatedAt).
func (p *polledProject) events() []event.Event {
	if p.ID == "" {
		return nil
	}
	var out []event.Event
	done := p.CompletedAt
	if done == nil {
		done = p.CanceledAt
	}
	if done != nil {
		ev := p.base(KindProjectCompleted, "completed:"+msID(*done), *done)
		if p.StartedAt != nil {
			seconds(&ev, "cycle_seconds", *p.StartedAt, *done)
		}
		out = append(out, ev)
	}
	if !p.UpdatedAt.IsZero() {
		out = append(out, p.base(KindProjectUpdated, "updated:"+strconv.FormatInt(p.UpdatedAt.UnixMilli(), 10), p.UpdatedAt))
	}
	return out
}
