package trello

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// actionFilter is the action types read (poll) and mapped (both paths).
const actionFilter = "createCard,copyCard,updateCard,deleteCard"

// action is a Trello action, from a board's actions or a webhook body.
type action struct {
	ID              string    `json:"id"`
	Type            string    `json:"type"`
	Date            time.Time `json:"date"`
	IDMemberCreator string    `json:"idMemberCreator"`
	MemberCreator   *member   `json:"memberCreator"`
	Data            struct {
		Board      *ref `json:"board"`
		List       *ref `json:"list"`
		ListBefore *ref `json:"listBefore"`
		ListAfter  *ref `json:"listAfter"`
		Card       *struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			IDList   string `json:"idList"`
			Closed   *bool  `json:"closed"`
			IDShort  int    `json:"idShort"`
			ShortURL string `json:"shortLink"`
		} `json:"card"`
		Old map[string]any `json:"old"`
	} `json:"data"`
}

type ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type member struct {
	ID       string `json:"id"`
	Username string `json:"username"`
}

// card is what a card read adds to an action: labels, members, due date
// and URL (current values; they do not decide whether a card is done).
type card struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	URL     string   `json:"url"`
	Due     *string  `json:"due"`
	Labels  []ref    `json:"labels"`
	Members []member `json:"members"`
}

// cardQuery asks for the fields of a card read (a board's cards, one card).
func cardQuery() url.Values {
	return url.Values{"fields": {"name,url,due,labels"}, "members": {"true"}, "member_fields": {"username"}}
}

// Unit is the unit key of a Trello card.
func Unit(cardID string) string { return "trello:" + cardID }

// mapper turns actions into events; poll and webhook share it, so the same
// action gives the same event (its ID is the action's id).
type mapper struct{ s settings }

// event maps one action on a configured board; ok is false for actions
// that change no card state (renames, descriptions, positions), other
// boards, or actions without a card. Each event carries the card's state
// as of the action (its list, done or not, archived), so the latest action
// decides a ratio whatever order the actions arrive in:
//   - createCard / copyCard: issue.created (done when created in a done list);
//   - a move into a done list: issue.completed; out of one: issue.reopened;
//     between other lists: issue.updated;
//   - archiving in a done list: issue.completed; elsewhere: issue.updated
//     with resolution "canceled" (out of ratios); unarchiving: issue.updated
//     (or issue.reopened back into a ratio's to-do);
//   - deleteCard: issue.deleted.
func (m mapper) event(a *action, c *card) (event.Event, bool) {
	if a.ID == "" || a.Date.IsZero() || a.Data.Card == nil || a.Data.Card.ID == "" || a.Data.Board == nil {
		return event.Event{}, false
	}
	board := a.Data.Board.ID
	if _, ok := m.s.boards[board]; !ok {
		return event.Event{}, false
	}
	if a.Type == "deleteCard" {
		ev := event.Event{ID: "trello:" + a.ID, Source: event.SourceTrello, Kind: event.KindIssueDeleted, OccurredAt: a.Date,
			ActorHandle: a.creator(), Repo: board, Unit: Unit(a.Data.Card.ID), Attrs: map[string]string{"deleted": "true", "card_id": a.Data.Card.ID}}
		ev.Normalize()
		return ev, true
	}
	list, kind, closed, ok := m.transition(a, board)
	if !ok {
		return event.Event{}, false
	}
	done := m.s.done(board, list.ID)
	cat, res := "new", ""
	switch {
	case done:
		cat = "done"
	case closed:
		cat, res = "done", "canceled"
	}
	return m.build(a, c, board, list, kind, cat, res), true
}

// transition reads the list the card is in after the action, the kind of
// the event, and whether the card is archived.
func (m mapper) transition(a *action, board string) (list ref, kind string, closed, ok bool) {
	d := &a.Data
	closed = d.Card.Closed != nil && *d.Card.Closed
	if d.List != nil {
		list = *d.List
	} else if d.Card.IDList != "" {
		list = ref{ID: d.Card.IDList}
	}
	switch {
	case a.Type == "createCard" || a.Type == "copyCard":
		kind = event.KindIssueCreated
	case a.Type == "updateCard" && d.ListAfter != nil:
		list = *d.ListAfter
		before := d.ListBefore != nil && m.s.done(board, d.ListBefore.ID)
		kind = moveKind(before, m.s.done(board, list.ID))
	case a.Type == "updateCard" && hasKey(d.Old, "closed"):
		wasClosed, _ := d.Old["closed"].(bool)
		switch {
		case closed && !wasClosed && m.s.done(board, list.ID):
			kind = event.KindIssueCompleted
		case !closed && wasClosed && !m.s.done(board, list.ID):
			kind = event.KindIssueReopened
		default:
			kind = event.KindIssueUpdated
		}
	default:
		return ref{}, "", false, false
	}
	return list, kind, closed, list.ID != ""
}

func moveKind(fromDone, toDone bool) string {
	switch {
	case toDone && !fromDone:
		return event.KindIssueCompleted
	case fromDone && !toDone:
		return event.KindIssueReopened
	}
	return event.KindIssueUpdated
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func (a *action) creator() string {
	if a.MemberCreator != nil && a.MemberCreator.Username != "" {
		return a.MemberCreator.Username
	}
	return a.IDMemberCreator
}

// build is the event of a with the card's state; c (may be nil) adds
// labels, members, due date and URL. The actor is the card's first member
// (the assignee) for completions, else who acted.
func (m mapper) build(a *action, c *card, board string, list ref, kind, cat, res string) event.Event {
	ev := event.Event{
		ID: "trello:" + a.ID, Source: event.SourceTrello, Kind: kind, OccurredAt: a.Date, ActorHandle: a.creator(),
		Repo: board, Title: a.Data.Card.Name, Unit: Unit(a.Data.Card.ID),
		Attrs: map[string]string{"status_category": cat, "resolution": res, "status": list.Name, "section": list.Name,
			"list_id": list.ID, "card_id": a.Data.Card.ID, "blocked": "false"},
	}
	if a.Data.Board.Name != "" {
		ev.Attrs["project"] = a.Data.Board.Name
	}
	if c != nil {
		ev.URL = c.URL
		if ev.Title == "" {
			ev.Title = c.Name
		}
		var members []string
		for _, mb := range c.Members {
			members = append(members, mb.Username)
		}
		ev.Attrs["members"] = strings.Join(members, ",")
		if len(members) > 0 && kind == event.KindIssueCompleted {
			ev.ActorHandle = members[0]
		}
		for _, l := range c.Labels {
			ev.Labels = append(ev.Labels, l.Name)
			if slices.ContainsFunc(m.s.blockedLabels, func(b string) bool { return strings.EqualFold(b, l.Name) }) {
				ev.Attrs["blocked"] = "true"
			}
		}
		if c.Due != nil {
			ev.Attrs["due"] = *c.Due
		}
	}
	if a.Data.Card.IDShort > 0 {
		ev.Attrs["number"] = strconv.Itoa(a.Data.Card.IDShort)
	}
	for k, v := range ev.Attrs {
		if v == "" {
			delete(ev.Attrs, k)
		}
	}
	ev.Normalize()
	return ev
}
