package jira

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// Status categories (statusCategory.key).
const (
	catNew           = "new"
	catIndeterminate = "indeterminate"
	catDone          = "done"
)

// issueState is an issue's current state, carried by every event about it.
type issueState struct {
	ID, Key, Project, Type, Title, URL string
	StatusID, Status, Category         string
	Resolution, Priority               string
	Epic, Parent                       string
	Subtask                            bool
	Labels, Linked                     []string
	Assignee, Reporter                 string
	Created, Updated, CategoryChanged  time.Time
	Blocked                            bool
	Numbers                            map[string]float64
}

// mapper turns Jira issues and changelogs into events; poll and webhook
// share it so the same fact gets the same event.
type mapper struct {
	cfg  *Config
	flag string // the Flagged field's id, "" when unknown or disabled
}

func (m mapper) state(is *apiIssue) issueState {
	f := &is.Fields
	st := issueState{
		ID: is.ID, Key: is.Key, Title: f.Summary, URL: m.cfg.BaseURL + "/browse/" + is.Key,
		Labels: slices.Clone(f.Labels), Assignee: f.Assignee.handle(),
		Reporter: firstNonEmpty(f.Reporter.handle(), f.Creator.handle()),
		Created:  f.Created.Time, Updated: f.Updated.Time, CategoryChanged: f.StatusCategoryChangeDate.Time,
		Numbers: map[string]float64{},
	}
	if f.Project != nil {
		st.Project = f.Project.Key
	}
	if st.Project == "" {
		st.Project, _, _ = strings.Cut(is.Key, "-")
	}
	if f.IssueType != nil {
		st.Type, st.Subtask = f.IssueType.Name, f.IssueType.Subtask
	}
	if f.Status != nil {
		st.StatusID, st.Status, st.Category = f.Status.ID, f.Status.Name, f.Status.StatusCategory.Key
	}
	if f.Resolution != nil {
		st.Resolution = f.Resolution.Name
	}
	if f.Priority != nil {
		st.Priority = f.Priority.Name
	}
	m.relations(&st, f)
	m.numbers(&st, f)
	st.Blocked = m.blocked(&st, f)
	return st
}

// relations sets the epic, the parent and the linked issue keys.
func (m mapper) relations(st *issueState, f *apiFields) {
	if f.Parent != nil {
		st.Parent = f.Parent.Key
		pt := ""
		if f.Parent.Fields.IssueType != nil {
			pt = f.Parent.Fields.IssueType.Name
		}
		if strings.EqualFold(pt, "epic") || (pt == "" && !st.Subtask) {
			st.Epic = f.Parent.Key
		}
	}
	if m.cfg.EpicLinkField != "" {
		if k := text(f.Raw[m.cfg.EpicLinkField]); k != "" {
			st.Epic = k
		}
	}
	for _, l := range f.IssueLinks {
		for _, li := range []*linkedIssue{l.InwardIssue, l.OutwardIssue} {
			if li != nil && li.Key != "" {
				st.Linked = append(st.Linked, li.Key)
			}
		}
	}
	slices.Sort(st.Linked)
	st.Linked = slices.Compact(st.Linked)
}

func (m mapper) numbers(st *issueState, f *apiFields) {
	if id := m.cfg.StoryPointsField; id != "" {
		if v, ok := number(f.Raw[id]); ok {
			st.Numbers["story_points"] = v
		}
	}
	for name, id := range m.cfg.NumberFields {
		if v, ok := number(f.Raw[id]); ok {
			st.Numbers[name] = v
		}
	}
}

func (m mapper) blocked(st *issueState, f *apiFields) bool {
	if id := m.flag; id != "" && text(f.Raw[id]) != "" {
		return true
	}
	for _, l := range st.Labels {
		if containsFold(m.cfg.Blocked.Labels, l) {
			return true
		}
	}
	return containsFold(m.cfg.Blocked.Statuses, st.Status)
}

func containsFold(list []string, s string) bool {
	return s != "" && slices.ContainsFunc(list, func(v string) bool { return strings.EqualFold(v, s) })
}

// base is an event about st carrying its full current state.
func (st *issueState) base(kind, idSuffix string, at time.Time, actor string) event.Event {
	ev := event.Event{
		ID:          "jira:" + st.ID + ":" + idSuffix,
		Source:      event.SourceJira,
		Kind:        kind,
		OccurredAt:  at,
		ActorHandle: actor,
		Repo:        st.Project,
		Title:       st.Title,
		URL:         st.URL,
		Unit:        st.Key,
		Labels:      slices.Clone(st.Labels),
		Links:       st.links(),
		Numbers:     make(map[string]float64, len(st.Numbers)+2),
		Attrs: map[string]string{
			"status_category":   st.Category,
			"status":            st.Status,
			"issue_type":        st.Type,
			"epic":              st.Epic,
			"parent":            st.Parent,
			"project":           st.Project,
			"priority":          st.Priority,
			"blocked":           strconv.FormatBool(st.Blocked),
			"resolution":        st.Resolution,
			"issue_id":          st.ID,
			"updated_at":        st.Updated.UTC().Format(time.RFC3339Nano),
			event.AttrCreatedAt: event.FormatTime(st.Created),
		},
	}
	for k, v := range st.Numbers {
		ev.Numbers[k] = v
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

// deleted is the issue.deleted event of st: the issue's identity (unit,
// project, title, URL) and none of its state, so that it moves no ratio by
// matching (see event.KindIssueDeleted).
func (st *issueState) deleted(at time.Time, actor string) event.Event {
	ev := event.Event{
		ID: "jira:" + st.ID + ":deleted", Source: event.SourceJira, Kind: event.KindIssueDeleted,
		OccurredAt: at, ActorHandle: actor, Repo: st.Project, Title: st.Title, URL: st.URL, Unit: st.Key,
		Attrs: map[string]string{"deleted": "true", "issue_id": st.ID},
	}
	ev.Normalize()
	return ev
}

func (st *issueState) links() []string {
	out := make([]string, 0, 2+len(st.Linked))
	for _, k := range append([]string{st.Epic, st.Parent}, st.Linked...) {
		if k != "" && k != st.Key && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}
