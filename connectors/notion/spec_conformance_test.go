package notion_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/internal/fixtures"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// endpoint is one operation of the official SDK's endpoint definitions
// (reference/specs/notion-api-endpoints.ts): method, path and the body
// parameters it accepts.
type endpoint struct {
	name, method string
	path         *regexp.Regexp
	body         []string
}

var (
	endpointDef = regexp.MustCompile(`(?s)export const (\w+) = \{\s*method: "(\w+)",.*?bodyParams: \[(.*?)\],.*?path: \([^)]*\): string =>\s*` + "`([^`]*)`")
	pathParam   = regexp.MustCompile(`\$\{[^}]+\}`)
	quoted      = regexp.MustCompile(`"(\w+)"`)
)

// notionSpec reads the endpoint definitions and the source text, skipping
// the test when ../shared is absent.
func notionSpec(t *testing.T) ([]endpoint, string) {
	t.Helper()
	raw, err := os.ReadFile(fixtures.Spec(t, "notion-api-endpoints.ts"))
	if err != nil {
		t.Skipf("spec not available: %v", err)
	}
	var eps []endpoint
	for _, m := range endpointDef.FindAllStringSubmatch(string(raw), -1) {
		parts := pathParam.Split(m[4], -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		ep := endpoint{name: m[1], method: strings.ToUpper(m[2]), path: regexp.MustCompile("^/v1/" + strings.Join(parts, `[^/]+`) + "$")}
		for _, q := range quoted.FindAllStringSubmatch(m[3], -1) {
			ep.body = append(ep.body, q[1])
		}
		eps = append(eps, ep)
	}
	if len(eps) < 20 {
		t.Fatalf("read %d endpoint definitions; the spec's shape changed", len(eps))
	}
	return eps, string(raw)
}

// typeBlock is the text of the declaration `type name = …` in the spec, up
// to the next top-level declaration.
func typeBlock(t *testing.T, src, name string) string {
	t.Helper()
	start := strings.Index(src, "type "+name+" =")
	if start < 0 {
		t.Fatalf("no type %s in the spec", name)
	}
	rest := src[start+1:]
	end := len(rest)
	for _, next := range []string{"\nexport ", "\ntype "} {
		if i := strings.Index(rest, next); i >= 0 && i < end {
			end = i
		}
	}
	return rest[:end]
}

// TestRequestBodiesMatchTheSpec: every request goalpost's Notion client
// sends — page property PATCHes, check-in block appends and updates,
// data-source queries — is an operation of the official SDK's endpoint
// definitions, with only body parameters that operation takes, property
// values of kinds a page update accepts, and block types it can create.
func TestRequestBodiesMatchTheSpec(t *testing.T) {
	eps, src := notionSpec(t)
	e := newEnv(t, nil)
	id := e.page(t, nil)
	second, err := e.fake.AddDataSource(e.db, "Second")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.AddPageToSource(e.db, second, map[string]any{"Name": "KR 2", "Key": "kr-2"}); err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{rules.StatusOnTrack, rules.StatusAtRisk} { // append, then update in place
		if err := e.sink.Write(t.Context(), outbox.NotionPage(id), result(status)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := notion.LoadGoals(t.Context(), e.sink.Client(), notion.GoalsConfig{DatabaseID: e.db}); err != nil {
		t.Fatal(err)
	}
	for name, param := range map[string]string{"updatePage": "properties", "appendBlockChildren": "children", "queryDataSource": "start_cursor"} {
		if i := slices.IndexFunc(eps, func(ep endpoint) bool { return ep.name == name }); i < 0 || !slices.Contains(eps[i].body, param) {
			t.Fatalf("the spec reader lost %s's %q", name, param) // the reader, not goalpost, is wrong
		}
	}
	pageUpdate := typeBlock(t, src, "UpdatePageBodyParameters")
	blockRequest := typeBlock(t, src, "BlockObjectRequest")
	seen := map[string]bool{}
	for _, req := range e.fake.Log() {
		ep := match(eps, req.Method, req.Path)
		if ep == nil {
			t.Errorf("%s %s is no operation of the spec", req.Method, req.Path)
			continue
		}
		seen[ep.name] = true
		if len(req.Body) == 0 {
			continue
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(req.Body, &body); err != nil {
			t.Errorf("%s: body is not an object: %s", ep.name, req.Body)
			continue
		}
		for key := range body {
			if !slices.Contains(ep.body, key) {
				t.Errorf("%s sends %q; the spec's body parameters are %v", ep.name, key, ep.body)
			}
		}
		switch ep.name {
		case "updatePage":
			checkKinds(t, ep.name, body["properties"], pageUpdate)
		case "appendBlockChildren":
			var children []map[string]json.RawMessage
			_ = json.Unmarshal(body["children"], &children)
			for _, c := range children {
				var typ string
				_ = json.Unmarshal(c["type"], &typ)
				if !strings.Contains(blockRequest, `type?: "`+typ+`"`) {
					t.Errorf("appends a %q block, which BlockObjectRequest does not have", typ)
				}
			}
		}
	}
	for _, want := range []string{"updatePage", "appendBlockChildren", "queryDataSource"} {
		if !seen[want] {
			t.Errorf("no %s request was exercised (seen %v)", want, seen)
		}
	}
}

// checkKinds checks that each property value is of a kind the update type
// lists ({ number: …; type?: "number" }).
func checkKinds(t *testing.T, op string, raw json.RawMessage, spec string) {
	var props map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &props); err != nil {
		t.Errorf("%s: properties: %v", op, err)
		return
	}
	for name, v := range props {
		for kind := range v {
			if kind != "type" && !strings.Contains(spec, `type?: "`+kind+`"`) {
				t.Errorf("%s: property %q is written as %q, which a page update does not accept", op, name, kind)
			}
		}
	}
}

func match(eps []endpoint, method, path string) *endpoint {
	for i := range eps {
		if eps[i].method == method && eps[i].path.MatchString(path) {
			return &eps[i]
		}
	}
	return nil
}

// variant is the member of a union type in the spec whose key is kind
// ("callout: {" … up to the next member).
func variant(t *testing.T, union, kind string) string {
	t.Helper()
	start := strings.Index(union, "\n      "+kind+": {")
	if start < 0 {
		t.Fatalf("no %s member in the union", kind)
	}
	rest := union[start:]
	if end := strings.Index(rest, "\n  | {"); end >= 0 {
		rest = rest[:end]
	}
	return rest
}

// TestNotesRequestsMatchTheSpec: what the owners' notes add to goalpost's
// requests is in the official SDK's types: the check-in is appended with
// its notes area as children of the callout (which BlockObjectRequest's
// callout takes, each child a BlockObjectWithSingleLevelOfChildrenRequest
// type); a callout update takes no children, so updating the check-in
// leaves the notes alone; the children listing sends only listBlockChildren's
// query parameters (page_size, start_cursor) and reads fields of
// ListBlockChildrenResponse; the edited-since query is a
// TimestampLastEditedTimeFilter.
func TestNotesRequestsMatchTheSpec(t *testing.T) {
	eps, src := notionSpec(t)
	e := newEnv(t, nil)
	id := e.page(t, nil)
	for _, status := range []string{rules.StatusOnTrack, rules.StatusAtRisk} {
		must(t, e.sink.Write(t.Context(), outbox.NotionPage(id), result(status)))
	}
	c := e.callout(t, id)
	for i := range 101 { // two pages of children
		_, err := e.fake.AddBlock(c.ID, "paragraph", fmt.Sprint("line ", i))
		must(t, err)
	}
	for _, since := range []time.Time{{}, time.Now()} { // every page, then the edited ones
		if _, err := e.sink.ReadNotes(t.Context(), []string{id}, since); err != nil {
			t.Fatal(err)
		}
	}
	listing := regexp.MustCompile(`(?s)export const listBlockChildren = \{.*?queryParams: \[(.*?)\]`).FindStringSubmatch(src)
	if listing == nil {
		t.Fatal("no listBlockChildren in the spec")
	}
	response := typeBlock(t, src, "ListBlockChildrenResponse")
	for _, field := range []string{"results:", "has_more:", "next_cursor:"} {
		if !strings.Contains(response, field) {
			t.Errorf("ListBlockChildrenResponse has no %s, which ReadNotes reads", field)
		}
	}
	calloutRequest := variant(t, typeBlock(t, src, "BlockObjectRequest"), "callout")
	nestedTypes := typeBlock(t, src, "BlockObjectWithSingleLevelOfChildrenRequest")
	calloutUpdate := variant(t, typeBlock(t, src, "UpdateBlockBodyParameters"), "callout")
	if strings.Contains(calloutUpdate, "children") || !strings.Contains(calloutRequest, "children?: Array<BlockObjectWithSingleLevelOfChildrenRequest>") {
		t.Fatal("the spec's callout types changed: check how updates treat children")
	}
	filter := typeBlock(t, src, "TimestampLastEditedTimeFilter")
	seen := map[string]bool{}
	for _, req := range e.fake.Log() {
		ep := match(eps, req.Method, req.Path)
		if ep == nil {
			t.Errorf("%s %s is no operation of the spec", req.Method, req.Path)
			continue
		}
		seen[ep.name] = true
		var body map[string]json.RawMessage
		_ = json.Unmarshal(req.Body, &body)
		switch ep.name {
		case "listBlockChildren":
			q, _ := url.ParseQuery(req.Query)
			for key := range q {
				if !strings.Contains(listing[1], `"`+key+`"`) {
					t.Errorf("lists children with %q; the spec's query parameters are %s", key, listing[1])
				}
			}
			if q.Get("start_cursor") != "" {
				seen["start_cursor"] = true
			}
		case "appendBlockChildren":
			checkNested(t, body["children"], nestedTypes)
		case "updateBlock":
			var callout map[string]json.RawMessage
			_ = json.Unmarshal(body["callout"], &callout)
			if _, ok := callout["children"]; ok {
				t.Error("a check-in update sends children")
			}
		case "queryDataSource":
			var f map[string]json.RawMessage
			_ = json.Unmarshal(body["filter"], &f)
			for key := range f {
				if !strings.Contains(filter, key+":") {
					t.Errorf("the edited-since filter sends %q, which TimestampLastEditedTimeFilter does not have", key)
				}
			}
			if len(f) > 0 {
				seen["filter"] = true
			}
		}
	}
	for _, want := range []string{"appendBlockChildren", "updateBlock", "listBlockChildren", "start_cursor", "queryDataSource", "filter"} {
		if !seen[want] {
			t.Errorf("no %s was exercised (seen %v)", want, seen)
		}
	}
}

// checkNested checks that every child of an appended callout is of a type
// BlockObjectWithSingleLevelOfChildrenRequest has.
func checkNested(t *testing.T, raw json.RawMessage, nestedTypes string) {
	var children []struct {
		Callout *struct {
			Children []struct {
				Type string `json:"type"`
			} `json:"children"`
		} `json:"callout"`
	}
	_ = json.Unmarshal(raw, &children)
	n := 0
	for _, c := range children {
		if c.Callout == nil {
			continue
		}
		for _, kid := range c.Callout.Children {
			n++
			if !strings.Contains(nestedTypes, `type?: "`+kid.Type+`"`) {
				t.Errorf("nests a %q block, which BlockObjectWithSingleLevelOfChildrenRequest does not have", kid.Type)
			}
		}
	}
	if n == 0 {
		t.Error("the check-in was appended without its notes area")
	}
}
