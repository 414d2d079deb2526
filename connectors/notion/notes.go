package notion

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/jomei/notionapi"

	"github.com/goalpost/goalpost/writeback/outbox"
)

// notesLabel is the first child of the check-in callout: it tells the
// owner where to write. Text typed after it on the same line counts as
// notes too.
const notesLabel = "Owner's notes for the week (plan, help needed): write below. goalpost shows them in the weekly check-in and never edits them."

// notesOverlap widens each round's "edited since": Notion rounds
// last_edited_time down to the minute, and clocks differ a little.
const notesOverlap = 2 * time.Minute

// notesArea is what goalpost puts under a new check-in callout, once: the
// label in grey italics and an empty paragraph for the owner to type in.
func notesArea() notionapi.Blocks {
	label := notionapi.RichText{Type: "text", Text: &notionapi.Text{Content: notesLabel},
		Annotations: &notionapi.Annotations{Italic: true, Color: "gray"}}
	return notionapi.Blocks{paragraphBlock(label), paragraphBlock()}
}

func paragraphBlock(text ...notionapi.RichText) *notionapi.ParagraphBlock {
	return &notionapi.ParagraphBlock{
		BasicBlock: notionapi.BasicBlock{Object: "block", Type: notionapi.BlockTypeParagraph},
		Paragraph:  notionapi.Paragraph{RichText: append([]notionapi.RichText{}, text...)}, // [] not null: Notion requires the array
	}
}

// ReadNotes returns the owners' notes written under the check-in callout
// of each page in pages (page ids or URLs, the keys of the answer) whose
// content may have changed since since; a zero since reads every page.
// Pages without a check-in yet are left out; a check-in whose notes are
// empty maps to "". It only reads. Its requests, within the client's rate
// limit: for pages whose data source is known (the sink wrote to them in
// this process), one query per data source for the rows edited since
// then; for the others one page read (cached for the process); then for
// each changed page one listing of the callout's children (plus one of the
// page's blocks to find a callout not cached). See ADR 56.
func (s *Sink) ReadNotes(ctx context.Context, pages []string, since time.Time) (map[string]string, error) {
	changed, err := s.changedPages(ctx, pages, since)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, p := range pages {
		id, err := PageID(outbox.NotionPage(p))
		if err != nil || !changed[id] {
			continue
		}
		callout, err := s.checkinOf(ctx, id)
		if err != nil {
			return nil, err
		}
		if callout == "" {
			continue
		}
		text, err := s.notesText(ctx, callout)
		if gone(err) {
			s.forget(id)
			continue
		}
		if err != nil {
			return nil, err
		}
		out[p] = text
	}
	return out, nil
}

// changedPages returns the ids of pages whose content may have changed
// since since (every page when since is zero).
func (s *Sink) changedPages(ctx context.Context, pages []string, since time.Time) (map[string]bool, error) {
	out := map[string]bool{}
	bySource := map[string][]string{}
	after := since.Add(-notesOverlap)
	for _, p := range pages {
		id, err := PageID(outbox.NotionPage(p))
		if err != nil {
			continue // the writer parks such a target with the reason
		}
		s.mu.Lock()
		sch, known := s.schemas[id]
		s.mu.Unlock()
		if !known {
			if sch, err = s.schema(ctx, id); err != nil {
				if permanentErr(err) {
					continue // trashed, unshared: the writer reports it
				}
				return nil, err
			}
			out[id] = since.IsZero() || !sch.edited.Before(after)
			continue
		}
		if since.IsZero() || sch.source == "" {
			out[id] = true
			continue
		}
		bySource[sch.source] = append(bySource[sch.source], id)
	}
	for src, ids := range bySource {
		edited := map[string]bool{}
		filter := map[string]any{"timestamp": "last_edited_time", "last_edited_time": map[string]any{"on_or_after": after.UTC().Format(time.RFC3339)}}
		if err := s.c.queryDataSource(ctx, src, filter, func(p *page) error { edited[p.ID] = true; return nil }); err != nil {
			return nil, err
		}
		for _, id := range ids {
			out[id] = edited[id]
		}
	}
	return out, nil
}

// permanentErr reports whether err says retrying cannot help (a trashed,
// unshared or missing page).
func permanentErr(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// checkinOf returns the page's check-in callout, "" when it has none.
func (s *Sink) checkinOf(ctx context.Context, pageID string) (string, error) {
	s.mu.Lock()
	id, ok := s.checkins[pageID]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	id, err := s.findCheckin(ctx, pageID)
	if err != nil || id == "" {
		return "", err
	}
	s.remember(pageID, id)
	return id, nil
}

func (s *Sink) forget(pageID string) {
	s.mu.Lock()
	delete(s.checkins, pageID)
	s.mu.Unlock()
}

// childBlock is a block of a children listing, decoded loosely: owners
// write any kind of block, and only the rich text of each is read.
type childBlock struct {
	Type    string
	Text    string
	Trashed bool
}

func (b *childBlock) UnmarshalJSON(raw []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	var head struct {
		Type     string `json:"type"`
		Archived bool   `json:"archived"`
		InTrash  bool   `json:"in_trash"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return err
	}
	var content struct {
		RichText []textItem `json:"rich_text"`
	}
	_ = json.Unmarshal(m[head.Type], &content) // a type without text (divider, image) reads as ""
	b.Type, b.Text, b.Trashed = head.Type, joinText(content.RichText), head.Archived || head.InTrash
	return nil
}

// notesText reads the callout's children (following next_cursor) and
// returns the owner's text: every child's text but goalpost's label, one
// line each, empty lines dropped, joined with " · " so it reads as one
// line in every format of the check-in. Children of children are not read.
func (s *Sink) notesText(ctx context.Context, calloutID string) (string, error) {
	var lines []string
	q := url.Values{"page_size": {"100"}}
	for {
		var resp struct {
			Results    []childBlock `json:"results"`
			HasMore    bool         `json:"has_more"`
			NextCursor *string      `json:"next_cursor"`
		}
		if err := s.c.doVersion(ctx, notionVersion, "GET", "blocks/"+calloutID+"/children?"+q.Encode(), nil, &resp); err != nil {
			return "", err
		}
		for _, b := range resp.Results {
			if !b.Trashed {
				lines = append(lines, noteLines(b.Text)...)
			}
		}
		if !resp.HasMore || resp.NextCursor == nil || *resp.NextCursor == "" {
			return strings.Join(lines, " · "), nil
		}
		q.Set("start_cursor", *resp.NextCursor)
	}
}

// noteLines splits one block's text into its non-empty lines, without
// goalpost's label.
func noteLines(text string) []string {
	text = strings.TrimPrefix(text, notesLabel)
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
