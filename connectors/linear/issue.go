package linear

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// issueNode is a Linear issue as returned by the issues query and as sent
// in Issue webhooks (which carry ids beside the objects, labels as a plain
// list, and sometimes no identifier).
type issueNode struct {
	ID            string     `json:"id"`
	Identifier    string     `json:"identifier"`
	Number        float64    `json:"number"`
	Title         string     `json:"title"`
	URL           string     `json:"url"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	StartedAt     *time.Time `json:"startedAt"`
	CompletedAt   *time.Time `json:"completedAt"`
	CanceledAt    *time.Time `json:"canceledAt"`
	Estimate      *float64   `json:"estimate"`
	PriorityLabel string     `json:"priorityLabel"`
	State         *struct {
		ID, Name, Type string
	} `json:"state"`
	Team       *struct{ ID, Key string }    `json:"team"`
	Project    *struct{ ID, Name string }   `json:"project"`
	Cycle      *cycleRef                    `json:"cycle"`
	Assignee   *struct{ ID string }         `json:"assignee"`
	AssigneeID string                       `json:"assigneeId"`
	Creator    *struct{ ID string }         `json:"creator"`
	CreatorID  string                       `json:"creatorId"`
	Parent     *struct{ Identifier string } `json:"parent"`
	Labels     labelList                    `json:"labels"`
	// Trashed is set on an issue deleted into Linear's trash; ArchivedAt
	// is then when (an archived issue, trashed or not, has ArchivedAt).
	Trashed    bool       `json:"trashed"`
	ArchivedAt *time.Time `json:"archivedAt"`
	Relations  struct {
		Nodes []struct {
			Type         string `json:"type"`
			RelatedIssue *struct {
				Identifier string `json:"identifier"`
			} `json:"relatedIssue"`
		} `json:"nodes"`
	} `json:"relations"`
	// InverseRelations are other issues' relations to this one; a
	// "blocks" one names a blocker.
	InverseRelations struct {
		Nodes []struct {
			Type  string `json:"type"`
			Issue *struct {
				Identifier string `json:"identifier"`
				State      *struct {
					Type string `json:"type"`
				} `json:"state"`
			} `json:"issue"`
		} `json:"nodes"`
	} `json:"inverseRelations"`
}

// blockers are the identifiers of the open issues that block n (an
// inverse "blocks" relation whose issue is not completed or canceled).
func (n *issueNode) blockers() []string {
	var out []string
	for _, r := range n.InverseRelations.Nodes {
		if r.Type != "blocks" || r.Issue == nil || r.Issue.Identifier == "" {
			continue
		}
		if r.Issue.State != nil {
			if cat, _ := category(r.Issue.State.Type); cat == "done" {
				continue
			}
		}
		out = append(out, r.Issue.Identifier)
	}
	return out
}

type cycleRef struct {
	ID     string  `json:"id"`
	Number float64 `json:"number"`
	Name   string  `json:"name"`
}

// labelList decodes labels as a connection ({"nodes": [...]}) or a list.
type labelList []string

func (l *labelList) UnmarshalJSON(b []byte) error {
	type label struct {
		Name string `json:"name"`
	}
	var list []label
	if err := json.Unmarshal(b, &list); err != nil {
		var conn struct {
			Nodes []label `json:"nodes"`
		}
		if err := json.Unmarshal(b, &conn); err != nil {
			return err
		}
		list = conn.Nodes
	}
	*l = nil
	for _, x := range list {
		*l = append(*l, x.Name)
	}
	return nil
}

// key is the issue identifier (ENG-42), built from the team key and number
// when a webhook leaves it out.
func (n *issueNode) key() string {
	if n.Identifier != "" {
		return n.Identifier
	}
	if n.Team != nil && n.Team.Key != "" && n.Number > 0 {
		return n.Team.Key + "-" + strconv.FormatFloat(n.Number, 'f', -1, 64)
	}
	return ""
}

// category maps a workflow state type to the status categories shared with
// Jira, and a resolution for the done ones that were not completed.
func category(stateType string) (cat, resolution string) {
	switch stateType {
	case "started":
		return "indeterminate", ""
	case "completed":
		return "done", ""
	case "canceled", "duplicate":
		return "done", "canceled"
	}
	return "new", "" // triage, backlog, unstarted
}

// issueMapper turns Linear issues into events; poll and webhook share it so the
// same fact gets the same event.
type issueMapper struct{ poll pollSettings }

// blocked reports whether the issue carries a blocked label, is in a
// blocked state (names compared case-insensitively) or is blocked by an
// open issue ("blocked by" in Linear, read from inverseRelations).
func (m issueMapper) blocked(n *issueNode) bool {
	if len(n.blockers()) > 0 {
		return true
	}
	for _, l := range n.Labels {
		if containsFold(m.poll.blockedLabels, l) {
			return true
		}
	}
	return n.State != nil && containsFold(m.poll.blockedStates, n.State.Name)
}

func containsFold(list []string, s string) bool {
	return s != "" && slices.ContainsFunc(list, func(v string) bool { return strings.EqualFold(v, s) })
}

// base is an event about n carrying its full current state.
func (m issueMapper) base(n *issueNode, kind, idSuffix string, at time.Time, actor string) event.Event {
	ev := event.Event{
		ID: "linear:" + n.ID + ":" + idSuffix, Source: event.SourceLinear, Kind: kind,
		OccurredAt: at, ActorHandle: actor, Title: n.Title, URL: n.URL, Unit: n.key(),
		Labels: slices.Clone([]string(n.Labels)), Numbers: map[string]float64{},
		Attrs: map[string]string{
			"blocked":           strconv.FormatBool(m.blocked(n)),
			"priority":          n.PriorityLabel,
			"issue_id":          n.ID,
			"updated_at":        n.UpdatedAt.UTC().Format(time.RFC3339Nano),
			event.AttrCreatedAt: event.FormatTime(n.CreatedAt),
		},
	}
	m.relations(n, &ev)
	if n.Estimate != nil {
		ev.Numbers["estimate"] = *n.Estimate
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

// deletedAt is when n went to the trash: its archivedAt, but never before
// its updatedAt, so that the deletion outranks the version it ends. It is
// zero when n is not trashed or has no archivedAt.
func (n *issueNode) deletedAt() time.Time {
	if !n.Trashed || n.ArchivedAt == nil {
		return time.Time{}
	}
	return later(*n.ArchivedAt, n.UpdatedAt)
}

// deleted is the issue.deleted event of n: the issue's identity (unit,
// team, title, URL) and none of its state, so that it moves no ratio by
// matching (see event.KindIssueDeleted).
func (m issueMapper) deleted(n *issueNode, at time.Time, actor string) event.Event {
	ev := event.Event{
		ID: "linear:" + n.ID + ":deleted:" + msID(at), Source: event.SourceLinear, Kind: event.KindIssueDeleted,
		OccurredAt: at, ActorHandle: actor, Title: n.Title, URL: n.URL, Unit: n.key(),
		Attrs: map[string]string{"deleted": "true", "issue_id": n.ID},
	}
	if n.Team != nil {
		ev.Repo = n.Team.Key
	}
	ev.Normalize()
	return ev
}

// relations sets the team, state, project, cycle, parent and related
// issues of n on ev.
func (m issueMapper) relations(n *issueNode, ev *event.Event) {
	if n.Team != nil {
		ev.Repo = n.Team.Key
	}
	if n.State != nil {
		cat, res := category(n.State.Type)
		ev.Attrs["status_category"], ev.Attrs["status"], ev.Attrs["state_type"], ev.Attrs["resolution"] = cat, n.State.Name, n.State.Type, res
	}
	if n.Project != nil {
		ev.Attrs["project"], ev.Attrs["project_id"] = n.Project.Name, n.Project.ID
	}
	if n.Cycle != nil {
		ev.Attrs["cycle"] = firstNonEmpty(n.Cycle.Name, strconv.FormatFloat(n.Cycle.Number, 'f', -1, 64))
	}
	if n.Parent != nil && n.Parent.Identifier != "" {
		ev.Attrs["parent"], ev.Attrs["epic"] = n.Parent.Identifier, n.Parent.Identifier
		ev.Links = append(ev.Links, n.Parent.Identifier)
	}
	for _, r := range n.Relations.Nodes {
		if r.RelatedIssue != nil {
			ev.Links = appendNew(ev.Links, r.RelatedIssue.Identifier)
		}
	}
	blockers := n.blockers()
	for _, b := range blockers {
		ev.Links = appendNew(ev.Links, b)
	}
	ev.Attrs["blocked_by"] = strings.Join(blockers, ",")
}

func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func (n *issueNode) assignee() string {
	if n.Assignee != nil && n.Assignee.ID != "" {
		return n.Assignee.ID
	}
	return n.AssigneeID
}

func (n *issueNode) creator() string {
	if n.Creator != nil && n.Creator.ID != "" {
		return n.Creator.ID
	}
	return firstNonEmpty(n.CreatorID, n.assignee())
}

// events returns the facts about n's current version: created, completed
// (or canceled: completed with resolution "canceled"), blocked (the version
// is blocked) and updated; for an issue in the trash, only deleted. IDs
// come from the facts: issue id + kind + the fact's own timestamp
// (createdAt, completedAt, canceledAt, updatedAt, the deletion's time).
// ActorHandle is the creator's user id for created, nobody for deleted (a
// poll does not say who; a remove webhook does) and the assignee's for the
// rest.
func (m issueMapper) events(n *issueNode) []event.Event {
	if n.ID == "" || n.key() == "" {
		return nil
	}
	if at := n.deletedAt(); !at.IsZero() {
		return []event.Event{m.deleted(n, at, "")} // its state is gone; earlier versions' facts stand
	}
	var out []event.Event
	if !n.CreatedAt.IsZero() {
		out = append(out, m.base(n, event.KindIssueCreated, "created", n.CreatedAt, n.creator()))
	}
	state := ""
	if n.State != nil {
		state = n.State.Type
	}
	switch {
	case state == "completed" && n.CompletedAt != nil:
		ev := m.base(n, event.KindIssueCompleted, "completed:"+msID(*n.CompletedAt), *n.CompletedAt, n.assignee())
		seconds(&ev, "resolution_seconds", n.CreatedAt, *n.CompletedAt)
		if n.StartedAt != nil {
			seconds(&ev, "cycle_seconds", *n.StartedAt, *n.CompletedAt)
		}
		out = append(out, ev)
	case (state == "canceled" || state == "duplicate") && n.CanceledAt != nil:
		out = append(out, m.base(n, event.KindIssueCompleted, "completed:"+msID(*n.CanceledAt), *n.CanceledAt, n.assignee()))
	}
	if n.UpdatedAt.IsZero() {
		return out
	}
	if m.blocked(n) {
		out = append(out, m.base(n, event.KindIssueBlocked, "blocked:"+msID(n.UpdatedAt), n.UpdatedAt, n.assignee()))
	}
	if n.UpdatedAt.Equal(n.CreatedAt) {
		return out
	}
	return append(out, m.base(n, event.KindIssueUpdated, "updated:"+msID(n.UpdatedAt), n.UpdatedAt, n.assignee()))
}

func msID(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func seconds(ev *event.Event, name string, from, to time.Time) {
	if from.IsZero() || to.Before(from) {
		return
	}
	if ev.Numbers == nil {
		ev.Numbers = map[string]float64{}
	}
	ev.Numbers[name] = to.Sub(from).Seconds()
}
