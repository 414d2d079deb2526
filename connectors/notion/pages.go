package notion

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// page is a page as read from Notion. It is decoded with plain structs so
// that property types goalpost does not read (place, button, ...) are
// ignored instead of failing the whole page, as notionapi's decoder does.
type page struct {
	Object     string              `json:"object"`
	ID         string              `json:"id"`
	Parent     parent              `json:"parent"`
	URL        string              `json:"url"`
	Archived   bool                `json:"archived"`
	InTrash    bool                `json:"in_trash"`
	Properties map[string]property `json:"properties"`
	// LastEditedTime moves with any edit of the page's content too; Notion
	// rounds it down to the minute.
	LastEditedTime time.Time `json:"last_edited_time"`
}

func (p *page) trashed() bool { return p.Archived || p.InTrash }

// property is one property value; only the fields of its Type are set.
type property struct {
	Type     string     `json:"type"`
	Title    []textItem `json:"title"`
	RichText []textItem `json:"rich_text"`
	Number   *float64   `json:"number"`
	Select   *option    `json:"select"`
	Status   *option    `json:"status"`
	People   []person   `json:"people"`
	URL      *string    `json:"url"`
	Email    *string    `json:"email"`
	Formula  *struct {
		Type   string   `json:"type"`
		String *string  `json:"string"`
		Number *float64 `json:"number"`
	} `json:"formula"`
	UniqueID *struct {
		Prefix *string `json:"prefix"`
		Number *int    `json:"number"`
	} `json:"unique_id"`
}

type textItem struct {
	PlainText string `json:"plain_text"`
}

type option struct {
	Name string `json:"name"`
}

type person struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Person *struct {
		Email string `json:"email"`
	} `json:"person"`
}

// text returns the property as plain text ("" when empty).
func (p property) text() string {
	switch p.Type {
	case "title":
		return joinText(p.Title)
	case "rich_text":
		return joinText(p.RichText)
	case "select", "status":
		if o := p.option(); o != nil {
			return o.Name
		}
	case "url":
		return deref(p.URL)
	case "email":
		return deref(p.Email)
	case "number", "formula":
		if n, ok := p.number(); ok {
			return strconv.FormatFloat(n, 'f', -1, 64)
		}
		if p.Formula != nil {
			return deref(p.Formula.String)
		}
	case "unique_id":
		if u := p.UniqueID; u != nil && u.Number != nil {
			if u.Prefix != nil && *u.Prefix != "" {
				return fmt.Sprintf("%s-%d", *u.Prefix, *u.Number)
			}
			return strconv.Itoa(*u.Number)
		}
	case "people":
		return p.owner()
	}
	return ""
}

func (p property) option() *option {
	if p.Type == "status" {
		return p.Status
	}
	return p.Select
}

// number returns a number or numeric formula's value.
func (p property) number() (float64, bool) {
	switch {
	case p.Type == "number" && p.Number != nil:
		return *p.Number, true
	case p.Type == "formula" && p.Formula != nil && p.Formula.Number != nil:
		return *p.Formula.Number, true
	}
	return 0, false
}

// owner returns the first person's email (or name), or the text of a
// non-people property.
func (p property) owner() string {
	if p.Type != "people" {
		return p.text()
	}
	for _, u := range p.People {
		if u.Person != nil && u.Person.Email != "" {
			return u.Person.Email
		}
		if u.Name != "" {
			return u.Name
		}
	}
	return ""
}

func joinText(items []textItem) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(it.PlainText)
	}
	return strings.TrimSpace(b.String())
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// pagePatch is the body of a page update. It deliberately has no archived /
// in_trash field: sending "archived": false (as notionapi's
// PageUpdateRequest always does) would restore a page someone trashed.
type pagePatch struct {
	Properties map[string]any `json:"properties"`
}

// updateProperties sets page properties (PATCH /v1/pages/{id}). It is
// idempotent: the same properties give the same page.
func (c *Client) updateProperties(ctx context.Context, id string, props map[string]any) error {
	return c.do(ctx, "PATCH", "pages/"+id, pagePatch{Properties: props}, nil)
}

// queryPage is one page of a database query answer.
type queryPage struct {
	Results    []page  `json:"results"`
	HasMore    bool    `json:"has_more"`
	NextCursor *string `json:"next_cursor"`
}
