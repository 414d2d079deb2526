package notion

import (
	"context"

	"github.com/jomei/notionapi"
)

// eachChild calls fn with a block's (or page's) children in order,
// following Notion's cursor, until fn returns false.
func (c *Client) eachChild(ctx context.Context, id string, fn func(notionapi.Block) bool) error {
	pg := &notionapi.Pagination{PageSize: 100}
	for {
		resp, err := c.api.Block.GetChildren(ctx, notionapi.BlockID(id), pg)
		if err != nil {
			return wrap("list blocks", err)
		}
		for _, b := range resp.Results {
			if !fn(b) {
				return nil
			}
		}
		if !resp.HasMore || resp.NextCursor == "" {
			return nil
		}
		pg.StartCursor = notionapi.Cursor(resp.NextCursor)
	}
}

// ChildPage returns the id of the first child page of parentID titled
// title that is not archived, or "" when there is none.
func (c *Client) ChildPage(ctx context.Context, parentID, title string) (string, error) {
	var found string
	err := c.eachChild(ctx, parentID, func(b notionapi.Block) bool {
		if cp, ok := b.(*notionapi.ChildPageBlock); ok && cp.ChildPage.Title == title && !cp.Archived {
			found = string(cp.ID)
			return false
		}
		return true
	})
	return found, err
}

// CountChildren returns how many top-level blocks a page or block has.
func (c *Client) CountChildren(ctx context.Context, id string) (int, error) {
	n := 0
	err := c.eachChild(ctx, id, func(notionapi.Block) bool { n++; return true })
	return n, err
}

// CreatePage creates a page titled title under the page parentID with its
// first children (at most 100) and returns its id. It is not idempotent:
// the transport does not retry it after a 5xx (see Classify), so callers
// look for the page (ChildPage) before creating it again.
func (c *Client) CreatePage(ctx context.Context, parentID, title string, children []notionapi.Block) (string, error) {
	b := &richBuilder{}
	b.add(title, "", false)
	p, err := c.api.Page.Create(ctx, &notionapi.PageCreateRequest{
		Parent:     notionapi.Parent{Type: notionapi.ParentTypePageID, PageID: notionapi.PageID(parentID)},
		Properties: notionapi.Properties{"title": notionapi.TitleProperty{Title: b.items}},
		Children:   children,
	})
	if err != nil {
		return "", wrap("create page", err)
	}
	c.log.Debug("notion page created", "page", p.ID)
	return string(p.ID), nil
}

// AppendChildren appends blocks (at most 100) to a page or block and
// returns the ids of the blocks in the answer. Like CreatePage it is not retried after a
// 5xx: callers count the children (CountChildren) before appending again.
func (c *Client) AppendChildren(ctx context.Context, id string, blocks []notionapi.Block) ([]string, error) {
	resp, err := c.api.Block.AppendChildren(ctx, notionapi.BlockID(id), &notionapi.AppendBlockChildrenRequest{Children: blocks})
	if err != nil {
		return nil, wrap("append blocks", err)
	}
	ids := make([]string, len(resp.Results))
	for i, b := range resp.Results {
		ids[i] = string(b.GetID())
	}
	return ids, nil
}
