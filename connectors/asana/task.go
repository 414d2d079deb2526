package asana

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// taskFields are the opt_fields every task read asks for (poll and webhook
// read the same fields, so the same fact maps to the same event).
const taskFields = "name,permalink_url,created_at,modified_at,completed,completed_at,due_on," +
	"created_by.email,assignee.email,tags.name,memberships.project.name,memberships.section.name," +
	"custom_fields.name,custom_fields.number_value,parent.gid"

// task is an Asana task as read with taskFields.
type task struct {
	GID          string     `json:"gid"`
	Name         string     `json:"name"`
	PermalinkURL string     `json:"permalink_url"`
	CreatedAt    time.Time  `json:"created_at"`
	ModifiedAt   time.Time  `json:"modified_at"`
	Completed    bool       `json:"completed"`
	CompletedAt  *time.Time `json:"completed_at"`
	DueOn        string     `json:"due_on"`
	CreatedBy    *user      `json:"created_by"`
	Assignee     *user      `json:"assignee"`
	Tags         []named    `json:"tags"`
	Memberships  []struct {
		Project *named `json:"project"`
		Section *named `json:"section"`
	} `json:"memberships"`
	CustomFields []struct {
		Name        string   `json:"name"`
		NumberValue *float64 `json:"number_value"`
	} `json:"custom_fields"`
	Parent *named `json:"parent"`
}

type user struct {
	GID   string `json:"gid"`
	Email string `json:"email"`
}

// handle is the user's email when Asana shares it (people are mapped by
// email), else the user gid (map it with handles = ["asana:<gid>"]).
func (u *user) handle() string {
	if u == nil {
		return ""
	}
	if u.Email != "" {
		return u.Email
	}
	return u.GID
}

type named struct {
	GID  string `json:"gid"`
	Name string `json:"name"`
}

// Unit is the unit key of an Asana task: "asana:<gid>" (tasks have no
// human key).
func Unit(gid string) string { return "asana:" + gid }

// mapper turns tasks into events; poll and webhook share it.
type mapper struct{ s settings }

// home is the task's membership in the first configured project it is in
// (else its first membership): its project and section.
func (m mapper) home(t *task) (project, section named) {
	best := -1
	for i, ms := range t.Memberships {
		if ms.Project == nil {
			continue
		}
		if best < 0 || (slices.Contains(m.s.projects, ms.Project.GID) && !slices.Contains(m.s.projects, t.Memberships[best].Project.GID)) {
			best = i
		}
	}
	if best < 0 {
		return named{}, named{}
	}
	ms := t.Memberships[best]
	project = *ms.Project
	if ms.Section != nil {
		section = *ms.Section
	}
	return project, section
}

func (m mapper) tagged(t *task, names []string) bool {
	for _, tg := range t.Tags {
		if containsFold(names, tg.Name) {
			return true
		}
	}
	return false
}

// blocked reports whether t carries a blocked tag or sits in a blocked
// section (names compared case-insensitively).
func (m mapper) blocked(t *task) bool {
	_, section := m.home(t)
	return m.tagged(t, m.s.blockedTags) || containsFold(m.s.blockedSections, section.Name)
}

func containsFold(list []string, s string) bool {
	return s != "" && slices.ContainsFunc(list, func(v string) bool { return strings.EqualFold(v, s) })
}

// base is an event about t carrying its full current state: the project
// gid as repo (scope "project:<gid>"), attrs section (scope
// "section:<name>"), tags as labels (scope "tag:<name>"), numeric custom
// fields as numbers (by name, lower case, spaces as underscores).
func (m mapper) base(t *task, kind, idSuffix string, at time.Time, actor string) event.Event {
	project, section := m.home(t)
	cat, res := "new", ""
	if t.Completed {
		cat = "done"
		if m.tagged(t, m.s.canceledTags) {
			res = "canceled"
		}
	}
	ev := event.Event{
		ID: "asana:" + t.GID + ":" + idSuffix, Source: event.SourceAsana, Kind: kind,
		OccurredAt: at, ActorHandle: actor, Repo: project.GID, Title: t.Name, URL: t.PermalinkURL, Unit: Unit(t.GID),
		Numbers: map[string]float64{},
		Attrs: map[string]string{
			"status_category": cat, "resolution": res, "status": section.Name,
			"project": project.Name, "project_id": project.GID, "section": section.Name,
			"blocked":    strconv.FormatBool(m.blocked(t)),
			"task_id":    t.GID,
			"due_on":     t.DueOn,
			"updated_at": t.ModifiedAt.UTC().Format(time.RFC3339Nano),
		},
	}
	for _, tg := range t.Tags {
		ev.Labels = append(ev.Labels, tg.Name)
	}
	if t.Parent != nil && t.Parent.GID != "" {
		ev.Attrs["parent"] = Unit(t.Parent.GID)
		ev.Links = append(ev.Links, Unit(t.Parent.GID))
	}
	for _, f := range t.CustomFields {
		if f.NumberValue != nil && f.Name != "" {
			ev.Numbers[fieldName(f.Name)] = *f.NumberValue
		}
	}
	for k, v := range ev.Attrs {
		if v == "" {
			delete(ev.Attrs, k)
		}
	}
	if len(ev.Numbers) == 0 {
		ev.Numbers = nil
	}
	ev.Normalize()
	return ev
}

// fieldName turns a custom field's name into a number key ("Story
// Points" → "story_points").
func fieldName(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(name)), "_")
}

// events returns the facts about t's current version, with IDs from the
// facts' own timestamps, so that poll and webhook agree: created (by its
// creator), completed at completed_at, blocked and updated at modified_at
// (by its assignee). A reopened task's latest event is its updated event
// with status "new"; the webhook adds issue.reopened when it sees the
// change (see Webhook).
func (m mapper) events(t *task) []event.Event {
	if t.GID == "" {
		return nil
	}
	var out []event.Event
	if !t.CreatedAt.IsZero() {
		out = append(out, m.base(t, event.KindIssueCreated, "created", t.CreatedAt, t.CreatedBy.handle()))
	}
	if t.Completed && t.CompletedAt != nil {
		ev := m.base(t, event.KindIssueCompleted, "completed:"+msID(*t.CompletedAt), *t.CompletedAt, t.Assignee.handle())
		if !t.CreatedAt.IsZero() && !t.CompletedAt.Before(t.CreatedAt) {
			if ev.Numbers == nil {
				ev.Numbers = map[string]float64{}
			}
			ev.Numbers["resolution_seconds"] = t.CompletedAt.Sub(t.CreatedAt).Seconds()
		}
		out = append(out, ev)
	}
	if t.ModifiedAt.IsZero() {
		return out
	}
	if m.blocked(t) {
		out = append(out, m.base(t, event.KindIssueBlocked, "blocked:"+msID(t.ModifiedAt), t.ModifiedAt, t.Assignee.handle()))
	}
	if t.ModifiedAt.Equal(t.CreatedAt) {
		return out
	}
	return append(out, m.base(t, event.KindIssueUpdated, "updated:"+msID(t.ModifiedAt), t.ModifiedAt, t.Assignee.handle()))
}

// deleted is the issue.deleted event of a task Asana says was deleted.
func deleted(gid string, at time.Time, actor string) event.Event {
	ev := event.Event{
		ID: "asana:" + gid + ":deleted:" + msID(at), Source: event.SourceAsana, Kind: event.KindIssueDeleted,
		OccurredAt: at, ActorHandle: actor, Unit: Unit(gid),
		Attrs: map[string]string{"deleted": "true", "task_id": gid},
	}
	ev.Normalize()
	return ev
}

func msID(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
