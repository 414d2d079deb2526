package notion

import (
	"context"
	"errors"
	"fmt"
	"github.com/goalpost/goalpost/writeback/outbox"
	"strings"
	"time"

	"github.com/jomei/notionapi"

	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/rules/calendar"
)

// checkinMarker starts the check-in callout; goalpost finds its own block
// on a page by it, and updates that block instead of appending new ones.
const checkinMarker = "Weekly check-in · goalpost"

// checkinIcon is the callout's icon.
var checkinIcon = notionapi.Emoji("📈")

// writeCheckin updates the page's check-in callout in place, appending it
// the first time with the owners' notes area under it (notesArea). The
// block id is cached; if the block was deleted, a new one is appended. A
// callout without children (made before notes, or whose notes someone
// deleted) gets the notes area once; children are never changed.
func (s *Sink) writeCheckin(ctx context.Context, pageID string, r outbox.Update) error {
	text := checkinText(r, s.cfg.evidenceLimit())
	id, err := s.checkinOf(ctx, pageID)
	if err != nil {
		return err
	}
	if id != "" {
		hasChildren, err := s.updateCheckin(ctx, id, text)
		if !gone(err) {
			if err != nil {
				return err
			}
			if !hasChildren { // a check-in from before notes, or its notes deleted
				if _, err := s.c.AppendChildren(ctx, id, notesArea()); err != nil {
					return fmt.Errorf("add the notes under the check-in: %w", err)
				}
			}
			s.remember(pageID, id)
			return nil
		}
		s.log.Debug("check-in block gone, appending a new one", "page", pageID, "block", id)
	}
	id, err = s.appendCheckin(ctx, pageID, text)
	if err != nil {
		return err
	}
	s.remember(pageID, id)
	return nil
}

func (s *Sink) remember(pageID, blockID string) {
	s.mu.Lock()
	s.checkins[pageID] = blockID
	s.mu.Unlock()
}

// gone reports whether a block update failed because the block was deleted
// or trashed by someone.
func gone(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Status == 404 || (ae.Code == "validation_error" && strings.Contains(ae.Message, "archived"))
}

// findCheckin lists the page's top-level blocks for goalpost's callout.
func (s *Sink) findCheckin(ctx context.Context, pageID string) (string, error) {
	var found string
	err := s.c.eachChild(ctx, pageID, func(b notionapi.Block) bool {
		if c, ok := b.(*notionapi.CalloutBlock); ok && !c.Archived && isCheckin(c.Callout.RichText) {
			found = string(c.ID)
			return false
		}
		return true
	})
	return found, err
}

func isCheckin(rt []notionapi.RichText) bool {
	return len(rt) > 0 && strings.HasPrefix(rt[0].PlainText, checkinMarker)
}

// updateCheckin replaces the callout's text and icon. An update of a
// callout takes no children (UpdateBlockBodyParameters): the owners' notes
// under it are left as they are. It reports whether the callout has
// children, from the answer.
func (s *Sink) updateCheckin(ctx context.Context, blockID string, text []notionapi.RichText) (bool, error) {
	b, err := s.c.api.Block.Update(ctx, notionapi.BlockID(blockID), &notionapi.BlockUpdateRequest{
		Callout: &notionapi.Callout{RichText: text, Icon: &notionapi.Icon{Type: "emoji", Emoji: &checkinIcon}},
	})
	if err != nil {
		return false, wrap("update check-in", err)
	}
	return b.GetHasChildren(), nil
}

func (s *Sink) appendCheckin(ctx context.Context, pageID string, text []notionapi.RichText) (string, error) {
	ids, err := s.c.AppendChildren(ctx, pageID, []notionapi.Block{&notionapi.CalloutBlock{
		BasicBlock: notionapi.BasicBlock{Object: "block", Type: notionapi.BlockTypeCallout},
		Callout:    notionapi.Callout{RichText: text, Icon: &notionapi.Icon{Type: "emoji", Emoji: &checkinIcon}, Children: notesArea()},
	}})
	if err != nil {
		return "", fmt.Errorf("append check-in: %w", err)
	}
	if len(ids) == 0 {
		return "", errors.New("append check-in: no block in the answer")
	}
	return ids[0], nil
}

// checkinText is the callout: the marker, the week, "Current X / Target Y",
// progress and status, what moved this week with its evidence, blockers,
// and when it was computed.
func checkinText(r outbox.Update, limit int) []notionapi.RichText {
	b := &richBuilder{}
	b.add(checkinMarker, "", true)
	week := calendar.UTC.WeekOf(r.EvaluatedAt)
	start := calendar.UTC.Week(week).Start
	current := present.Value(r.Current, r.Unit)
	if r.NoData {
		current = "no data yet"
	}
	b.add(fmt.Sprintf("\nWeek %s (from %s) · Current %s / Target %s · %s · %s",
		week, start.Format("Jan 2"), current, present.Value(r.Target, r.Unit),
		present.Percent(r.Progress), present.Status(r.Status)), "", false)
	moved := thisWeek(r.Evidence, start)
	if len(moved) == 0 {
		b.add("\nNothing moved this week.", "", false)
	} else {
		b.add(fmt.Sprintf("\nMoved this week (%s): ", present.Count(len(moved), "item")), "", false)
		b.addItems(moved, len(moved), limit)
	}
	if len(r.Blocked) > 0 && !b.full {
		b.add(fmt.Sprintf("\nBlocked (%d): ", len(r.Blocked)), "", false)
		b.addItems(r.Blocked, len(r.Blocked), limit)
	}
	if !b.full {
		b.add(fmt.Sprintf("\nUpdated %s by goalpost (rule %s).", utc(r.EvaluatedAt), r.RuleVersion), "", false)
	}
	return b.items
}

func thisWeek(items []outbox.Evidence, start time.Time) []outbox.Evidence {
	var out []outbox.Evidence
	for _, e := range items {
		if !e.OccurredAt.Before(start) {
			out = append(out, e)
		}
	}
	return out
}
