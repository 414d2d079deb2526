package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jomei/notionapi"
	"golang.org/x/time/rate"

	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/transport"
)

// notionBatch is Notion's limit of children per create or append request.
const notionBatch = 100

// NotionPages writes each team's weekly report as a page under a parent
// page, titled like the report ("Weekly check-in — platform — 2026-W47").
//
// It is idempotent in effect: before creating the page it looks for a child
// page with that title under the parent, and it appends only the blocks the
// page does not have yet (counting the page's top-level blocks), so a
// delivery interrupted at any point, even after Notion created the page but
// before goalpost recorded it, completes without duplicates. Requests go
// through transport.New (about 3 per second, 429/529/5xx retried honouring
// Retry-After, bodies rebuilt) with notionapi's own retry turned off
// (WithRetry(1): its retry resends an empty body).
type NotionPages struct {
	client *notionapi.Client
	parent notionapi.PageID
	log    *slog.Logger
}

var _ Sender = (*NotionPages)(nil)

// NewNotionPages returns a sender writing pages under parentPageID with
// token. baseURL is the API root ("" is https://api.notion.com/v1/; tests
// point it at a fake); base is the underlying transport (nil: default). It
// does no I/O.
func NewNotionPages(parentPageID string, token secret.String, baseURL string, base http.RoundTripper, log *slog.Logger) (*NotionPages, error) {
	return newNotionPages(parentPageID, token, baseURL, base, transport.Options{}, log)
}

func newNotionPages(parentPageID string, token secret.String, baseURL string, base http.RoundTripper, opt transport.Options, log *slog.Logger) (*NotionPages, error) {
	id, err := NotionID(parentPageID)
	if err != nil {
		return nil, err
	}
	if !token.IsSet() {
		return nil, errors.New("no notion token: set [notion] token or the destination's token")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if baseURL != "" {
		u, err := url.Parse(baseURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("bad notion base url %q", baseURL)
		}
		base = rebase{to: u, next: base}
	}
	if opt.Limiter == nil {
		opt.Limiter = rate.NewLimiter(3, 3) // Notion's documented average
	}
	opt.Classify = notionClassify
	tr := transport.New(base, opt)
	c := notionapi.NewClient(notionapi.Token(token.Reveal()),
		notionapi.WithHTTPClient(tr.Client(60*time.Second)), notionapi.WithRetry(1))
	return &NotionPages{client: c, parent: notionapi.PageID(id), log: log}, nil
}

// Deliver implements Sender. Progress.Ref is the page id; Progress.Parts
// the number of the report's blocks on the page.
func (n *NotionPages) Deliver(ctx context.Context, r *Report, done Progress, confirm func(context.Context, Progress) error) error {
	blocks := notionBlocks(r)
	title := r.title()
	page := done.Ref
	if page == "" {
		found, err := n.findPage(ctx, title)
		if err != nil {
			return err
		}
		page = found
	}
	if page == "" {
		first := blocks[:min(notionBatch, len(blocks))]
		id, err := n.createPage(ctx, title, first)
		if err != nil {
			return err
		}
		page = id
		if err := confirm(ctx, Progress{Parts: len(first), Ref: page}); err != nil {
			return err
		}
	}
	have, err := n.countChildren(ctx, page)
	if err != nil {
		return err
	}
	for have < len(blocks) {
		batch := blocks[have:min(have+notionBatch, len(blocks))]
		_, err := n.client.Block.AppendChildren(ctx, notionapi.BlockID(page), &notionapi.AppendBlockChildrenRequest{Children: batch})
		if err != nil {
			return notionErr("append blocks", err)
		}
		have += len(batch)
		if err := confirm(ctx, Progress{Parts: have, Ref: page}); err != nil {
			return err
		}
	}
	return nil
}

// createPage creates the report's page under the parent with its first
// blocks and returns its id.
func (n *NotionPages) createPage(ctx context.Context, title string, first []notionapi.Block) (string, error) {
	p, err := n.client.Page.Create(ctx, &notionapi.PageCreateRequest{
		Parent:     notionapi.Parent{Type: notionapi.ParentTypePageID, PageID: n.parent},
		Properties: notionapi.Properties{"title": notionapi.TitleProperty{Title: richText(title, "")}},
		Children:   first,
	})
	if err != nil {
		return "", notionErr("create page", err)
	}
	n.log.Debug("notion page created", "page", p.ID)
	return string(p.ID), nil
}

// findPage returns the id of the parent's child page titled title, or "".
func (n *NotionPages) findPage(ctx context.Context, title string) (string, error) {
	var found string
	err := n.children(ctx, notionapi.BlockID(n.parent), func(b notionapi.Block) {
		if cp, ok := b.(*notionapi.ChildPageBlock); ok && cp.ChildPage.Title == title && !cp.Archived && found == "" {
			found = string(cp.ID)
		}
	})
	if err != nil {
		return "", fmt.Errorf("find report page: %w", err)
	}
	return found, nil
}

func (n *NotionPages) countChildren(ctx context.Context, page string) (int, error) {
	count := 0
	err := n.children(ctx, notionapi.BlockID(page), func(notionapi.Block) { count++ })
	if err != nil {
		return 0, fmt.Errorf("read report page: %w", err)
	}
	return count, nil
}

// children pages through a block's children.
func (n *NotionPages) children(ctx context.Context, id notionapi.BlockID, fn func(notionapi.Block)) error {
	var cursor notionapi.Cursor
	for {
		resp, err := n.client.Block.GetChildren(ctx, id, &notionapi.Pagination{StartCursor: cursor, PageSize: 100})
		if err != nil {
			return notionErr("list blocks", err)
		}
		for _, b := range resp.Results {
			fn(b)
		}
		if !resp.HasMore || resp.NextCursor == "" {
			return nil
		}
		cursor = notionapi.Cursor(resp.NextCursor)
	}
}

// notionClassify retries reads like transport.Default, but writes (page
// create, block append) only on 429 and 529, which say the request was not
// processed: a 5xx may come after Notion applied the write, and retrying it
// blindly would duplicate the page or its blocks. Deliver re-reads the page
// on its next attempt instead.
func notionClassify(resp *http.Response, peek func() []byte) transport.Decision {
	if resp.Request != nil && resp.Request.Method != http.MethodGet {
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == 529 {
			return transport.Decision{Retry: true}
		}
		return transport.Decision{}
	}
	return transport.Default(resp, peek)
}

// notionErr classifies a notionapi error: bad requests, auth and missing or
// unshared pages are permanent; conflicts, rate limits that outlasted the
// transport's retries, 5xx and non-JSON answers are retryable.
func notionErr(op string, err error) error {
	err = redactURL(err)
	var ne *notionapi.Error
	if errors.As(err, &ne) {
		e := fmt.Errorf("notion %s: status %d %s: %s", op, ne.Status, ne.Code, ne.Message)
		switch ne.Status {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
			return Permanent(e)
		}
		return e
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("notion %s: unreadable answer (not JSON)", op)
	}
	return fmt.Errorf("notion %s: %w", op, err)
}

// rebase sends notionapi's requests (always to https://api.notion.com/v1/…)
// to another API root.
type rebase struct {
	to   *url.URL
	next http.RoundTripper
}

func (rb rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	next := rb.next
	if next == nil {
		next = http.DefaultTransport
	}
	r := req.Clone(req.Context())
	u := *req.URL
	u.Scheme, u.Host = rb.to.Scheme, rb.to.Host
	u.Path = strings.TrimSuffix(rb.to.Path, "/") + "/" + strings.TrimPrefix(strings.TrimPrefix(req.URL.Path, "/v1"), "/")
	u.RawPath = ""
	r.URL, r.Host = &u, ""
	return next.RoundTrip(r)
}
