package report

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jomei/notionapi"

	"github.com/goalpost/goalpost/connectors/notion"
)

// notionBatch is Notion's limit of children per create or append request.
const notionBatch = 100

// NotionAPI is what the report's Notion destination needs from Notion
// (connectors/notion.Client, goalpost's one Notion client). Every call
// blocks until Notion answered, after the client's bounded retries (rate
// limits always; server errors only for reads, since a create or append
// may have been applied before a 5xx). Errors whose Permanent() reports
// true (bad request, authentication, a missing or unshared page) are not
// worth retrying; errors never contain the token.
type NotionAPI interface {
	// ChildPage returns the id of parentID's child page titled title that
	// is not archived, or "".
	ChildPage(ctx context.Context, parentID, title string) (string, error)
	// CountChildren returns how many top-level blocks a page has.
	CountChildren(ctx context.Context, pageID string) (int, error)
	// CreatePage creates a page under parentID with its first (≤ 100)
	// blocks and returns its id. It is not idempotent.
	CreatePage(ctx context.Context, parentID, title string, first []notionapi.Block) (string, error)
	// AppendChildren appends (≤ 100) blocks to a page. It is not idempotent.
	AppendChildren(ctx context.Context, pageID string, blocks []notionapi.Block) ([]string, error)
}

// NotionPages writes each team's weekly report as a page under a parent
// page, titled like the report ("Weekly check-in — platform — 2026-W47").
//
// It is idempotent in effect: before creating the page it looks for a child
// page with that title under the parent, and it appends only the blocks the
// page does not have yet (counting the page's top-level blocks), so a
// delivery interrupted at any point, even after Notion created the page but
// before goalpost recorded it, completes without duplicates.
type NotionPages struct {
	api    NotionAPI
	parent string
	log    *slog.Logger
}

var _ Sender = (*NotionPages)(nil)

// NewNotionPages returns a sender writing pages under parentPageID through
// api. It does no I/O.
func NewNotionPages(api NotionAPI, parentPageID string, log *slog.Logger) (*NotionPages, error) {
	id, err := notion.ParseID(parentPageID)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &NotionPages{api: api, parent: id, log: log}, nil
}

// Deliver implements Sender. Progress.Ref is the page id; Progress.Parts
// the number of the report's blocks on the page.
func (n *NotionPages) Deliver(ctx context.Context, r *Report, done Progress, confirm func(context.Context, Progress) error) error {
	blocks := notionBlocks(r)
	title := r.title()
	page := done.Ref
	if page == "" {
		found, err := n.api.ChildPage(ctx, n.parent, title)
		if err != nil {
			return fmt.Errorf("find report page: %w", err)
		}
		page = found
	}
	if page == "" {
		first := blocks[:min(notionBatch, len(blocks))]
		id, err := n.api.CreatePage(ctx, n.parent, title, first)
		if err != nil {
			return fmt.Errorf("create report page: %w", err)
		}
		n.log.Debug("notion page created", "page", id)
		page = id
		if err := confirm(ctx, Progress{Parts: len(first), Ref: page}); err != nil {
			return err
		}
	}
	have, err := n.api.CountChildren(ctx, page)
	if err != nil {
		return fmt.Errorf("read report page: %w", err)
	}
	for have < len(blocks) {
		batch := blocks[have:min(have+notionBatch, len(blocks))]
		if _, err := n.api.AppendChildren(ctx, page, batch); err != nil {
			return fmt.Errorf("append to report page: %w", err)
		}
		have += len(batch)
		if err := confirm(ctx, Progress{Parts: have, Ref: page}); err != nil {
			return err
		}
	}
	return nil
}
