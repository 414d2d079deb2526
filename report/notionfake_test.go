package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeNotion is the slice of the Notion API the report pages use, behaving
// like the real one: bearer auth (401 unauthorized), a required
// Notion-Version (400 missing_version), 404 object_not_found for unknown or
// unshared pages, the 100-children and 2,000-character limits (400
// validation_error), cursor pagination of block children, and scripted
// failures (429 with Retry-After, 504 HTML after applying a write).
type fakeNotion struct {
	t     *testing.T
	token string

	mu       sync.Mutex
	pages    map[string]*fakePage // by id, including the parent
	nextID   int
	requests map[string]int // "METHOD /path-kind"
	// fail maps a request kind ("POST pages", "PATCH children") to statuses
	// answered to the next requests of that kind; 504 is answered after
	// the write was applied, as a gateway timeout would be.
	fail map[string][]int
}

type fakePage struct {
	title    string
	children []map[string]any // top-level blocks, as sent
}

func newFakeNotion(t *testing.T, token string, parents ...string) *fakeNotion {
	f := &fakeNotion{t: t, token: token, pages: map[string]*fakePage{}, requests: map[string]int{}, fail: map[string][]int{}}
	for _, p := range parents {
		f.pages[p] = &fakePage{title: "Parent"}
	}
	return f
}

func (f *fakeNotion) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		notionError(w, 401, "unauthorized", "API token is invalid.")
		return
	}
	if r.Header.Get("Notion-Version") == "" {
		notionError(w, 400, "missing_version", "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // v1/pages | v1/blocks/{id}/children
	kind := r.Method + " " + parts[len(parts)-1]
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[kind]++
	status := 0
	if q := f.fail[kind]; len(q) > 0 {
		status, f.fail[kind] = q[0], q[1:]
	}
	switch status {
	case 0, 504:
	case 429:
		w.Header().Set("Retry-After", "2")
		notionError(w, 429, "rate_limited", "You have been rate limited. Please try again in a few minutes.")
		return
	default:
		notionError(w, status, "internal_server_error", "Unexpected error.")
		return
	}
	var out any
	var code int
	switch {
	case kind == "POST pages" && len(parts) == 2:
		out, code = f.createPage(r)
	case kind == "GET children" && len(parts) == 4:
		out, code = f.listChildren(parts[2], r)
	case kind == "PATCH children" && len(parts) == 4:
		out, code = f.appendChildren(parts[2], r)
	default:
		notionError(w, 400, "invalid_request_url", "Invalid request URL.")
		return
	}
	if code == 200 && status == 504 { // applied, but the answer is lost
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(504)
		_, _ = io.WriteString(w, "<html><body>504 Gateway Time-out</body></html>")
		return
	}
	if e, ok := out.(notionErrBody); ok {
		notionError(w, code, e.Code, e.Message)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

type notionErrBody struct{ Code, Message string }

func notionError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "error", "status": status, "code": code, "message": msg, "request_id": "fake"})
}

func (f *fakeNotion) createPage(r *http.Request) (any, int) {
	var req struct {
		Parent struct {
			PageID string `json:"page_id"`
		} `json:"parent"`
		Properties map[string]struct {
			Title []struct{ Text struct{ Content string } } `json:"title"`
		} `json:"properties"`
		Children []map[string]any `json:"children"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return notionErrBody{"invalid_json", "Error parsing JSON body."}, 400
	}
	parent, ok := f.pages[req.Parent.PageID]
	if !ok {
		return notionErrBody{"object_not_found", "Could not find page with ID: " + req.Parent.PageID + ". Make sure the relevant pages and databases are shared with your integration."}, 404
	}
	if msg := validateChildren(req.Children); msg != "" {
		return notionErrBody{"validation_error", msg}, 400
	}
	title := ""
	for _, t := range req.Properties["title"].Title {
		title += t.Text.Content
	}
	f.nextID++
	id := fmt.Sprintf("0000000%d-0000-4000-8000-%012d", f.nextID%10, f.nextID)
	f.pages[id] = &fakePage{title: title, children: req.Children}
	parent.children = append(parent.children, map[string]any{"object": "block", "id": id, "type": "child_page", "child_page": map[string]any{"title": title}, "has_children": len(req.Children) > 0})
	return map[string]any{"object": "page", "id": id, "parent": map[string]any{"type": "page_id", "page_id": req.Parent.PageID},
		"properties": map[string]any{"title": map[string]any{"id": "title", "type": "title", "title": []any{map[string]any{"type": "text", "text": map[string]any{"content": title}, "plain_text": title}}}},
		"url":        "https://www.notion.so/" + strings.ReplaceAll(id, "-", ""), "archived": false, "in_trash": false}, 200
}

func (f *fakeNotion) listChildren(id string, r *http.Request) (any, int) {
	p, ok := f.pages[id]
	if !ok {
		return notionErrBody{"object_not_found", "Could not find block with ID: " + id + "."}, 404
	}
	size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
	if size <= 0 || size > 100 {
		size = 100
	}
	start, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Query().Get("start_cursor"), "cursor-"))
	end := min(start+size, len(p.children))
	results := []map[string]any{}
	for i := start; i < end; i++ {
		b := map[string]any{"object": "block", "id": fmt.Sprintf("%s-b%d", id[:8], i), "has_children": false, "archived": false, "in_trash": false}
		for k, v := range p.children[i] {
			b[k] = v
		}
		results = append(results, b)
	}
	resp := map[string]any{"object": "list", "results": results, "has_more": end < len(p.children), "next_cursor": nil, "type": "block", "block": map[string]any{}}
	if end < len(p.children) {
		resp["next_cursor"] = fmt.Sprintf("cursor-%d", end)
	}
	return resp, 200
}

func (f *fakeNotion) appendChildren(id string, r *http.Request) (any, int) {
	p, ok := f.pages[id]
	if !ok {
		return notionErrBody{"object_not_found", "Could not find block with ID: " + id + "."}, 404
	}
	var req struct {
		Children []map[string]any `json:"children"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return notionErrBody{"invalid_json", "Error parsing JSON body."}, 400
	}
	if msg := validateChildren(req.Children); msg != "" {
		return notionErrBody{"validation_error", msg}, 400
	}
	p.children = append(p.children, req.Children...)
	return map[string]any{"object": "list", "results": req.Children}, 200
}

// validateChildren applies Notion's size limits to a children array.
func validateChildren(children []map[string]any) string {
	if len(children) > 100 {
		return fmt.Sprintf("body failed validation: body.children.length should be ≤ `100`, instead was `%d`.", len(children))
	}
	var check func(v any) string
	check = func(v any) string {
		switch x := v.(type) {
		case map[string]any:
			if c, ok := x["content"].(string); ok && len([]rune(c)) > 2000 {
				return "body failed validation: text.content.length should be ≤ `2000`."
			}
			for _, e := range x {
				if m := check(e); m != "" {
					return m
				}
			}
		case []any:
			if len(x) > 100 {
				return "body failed validation: array length should be ≤ `100`."
			}
			for _, e := range x {
				if m := check(e); m != "" {
					return m
				}
			}
		}
		return ""
	}
	for _, c := range children {
		if m := check(c); m != "" {
			return m
		}
	}
	return ""
}

// page returns a page's title and top-level block types.
func (f *fakeNotion) page(id string) (string, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pages[id]
	if p == nil {
		return "", nil
	}
	var types []string
	for _, c := range p.children {
		types = append(types, fmt.Sprint(c["type"]))
	}
	return p.title, types
}

func (f *fakeNotion) count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[kind]
}
