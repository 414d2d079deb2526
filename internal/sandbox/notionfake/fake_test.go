package notionfake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jomei/notionapi"

	"github.com/goalpost/goalpost/internal/sandbox/notionfake"
)

const token = "secret_fake_token"

type fixture struct {
	fake *notionfake.Server
	srv  *httptest.Server
	db   string
	page string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{fake: notionfake.New(token)}
	f.srv = httptest.NewServer(f.fake)
	t.Cleanup(f.srv.Close)
	var err error
	if f.db, err = f.fake.AddDatabase("", "KRs", notionfake.GoalsSchema()); err != nil {
		t.Fatal(err)
	}
	if f.page, err = f.fake.AddPage(f.db, map[string]any{"Name": "Ship passkeys", "Key": "kr-1", "Current": 3, "Status": "On track"}); err != nil {
		t.Fatal(err)
	}
	return f
}

type reply struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// call sends one request with the right headers unless hdr overrides them
// ("" deletes a header).
func (f *fixture) call(t *testing.T, method, path, body string, hdr map[string]string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Notion-Version", "2022-06-28")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

func TestRequestChecks(t *testing.T) {
	f := setup(t)
	long := strings.Repeat("x", 2001)
	items := make([]string, 101)
	for i := range items {
		items[i] = `{"text":{"content":"a"}}`
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		hdr    map[string]string
		status int
		code   string
		msg    string
	}{
		{"no token", "GET", "/v1/pages/" + f.page, "", map[string]string{"Authorization": ""}, 401, "unauthorized", "API token is invalid."},
		{"wrong token", "GET", "/v1/pages/" + f.page, "", map[string]string{"Authorization": "Bearer nope"}, 401, "unauthorized", ""},
		{"no Notion-Version", "GET", "/v1/pages/" + f.page, "", map[string]string{"Notion-Version": ""}, 400, "missing_version", "Notion-Version"},
		{"unknown page", "GET", "/v1/pages/0123456789abcdef0123456789abcdef", "", nil, 404, "object_not_found", "shared with your integration"},
		{"not a uuid", "GET", "/v1/pages/abc", "", nil, 400, "validation_error", "path.page_id should be a valid uuid"},
		{"unknown route", "GET", "/v1/nothing", "", nil, 400, "invalid_request_url", ""},
		{"bad json", "PATCH", "/v1/pages/" + f.page, "{", nil, 400, "invalid_json", ""},
		{"2001 characters", "PATCH", "/v1/pages/" + f.page, `{"properties":{"Evidence":{"rich_text":[{"text":{"content":"` + long + `"}}]}}}`, nil,
			400, "validation_error", "text.content.length should be ≤ `2000`, instead was `2001`"},
		{"101 rich-text items", "PATCH", "/v1/pages/" + f.page, `{"properties":{"Evidence":{"rich_text":[` + strings.Join(items, ",") + `]}}}`, nil,
			400, "validation_error", "length should be ≤ `100`"},
		{"unknown property", "PATCH", "/v1/pages/" + f.page, `{"properties":{"Confidence":{"number":1}}}`, nil, 400, "validation_error", "Confidence is not a property that exists."},
		{"wrong type", "PATCH", "/v1/pages/" + f.page, `{"properties":{"Status":{"select":{"name":"On track"}}}}`, nil, 400, "validation_error", "Status is expected to be status."},
		{"unknown status option", "PATCH", "/v1/pages/" + f.page, `{"properties":{"Status":{"status":{"name":"Green"}}}}`, nil, 400, "validation_error", `Status option "Green" does not exist`},
		{"bad date", "PATCH", "/v1/pages/" + f.page, `{"properties":{"Last synced":{"date":{"start":"yesterday"}}}}`, nil, 400, "validation_error", "ISO 8601"},
		{"number as string", "PATCH", "/v1/pages/" + f.page, `{"properties":{"Current":{"number":"3"}}}`, nil, 400, "validation_error", "should be a number"},
		{"unknown body key", "PATCH", "/v1/pages/" + f.page, `{"propertys":{}}`, nil, 400, "validation_error", "body.propertys should be not present"},
		{"bad link", "PATCH", "/v1/pages/" + f.page, `{"properties":{"Evidence":{"rich_text":[{"text":{"content":"a","link":{"url":"not a url"}}}]}}}`, nil, 400, "validation_error", "Invalid URL"},
		{"filter unsupported", "POST", "/v1/databases/" + f.db + "/query", `{"filter":{"property":"Key","rich_text":{"is_not_empty":true}}}`, nil, 400, "validation_error", "only the filter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.call(t, tt.method, tt.path, tt.body, tt.hdr)
			if r.Status != tt.status || r.Body["code"] != tt.code || r.Body["object"] != "error" || !strings.Contains(fmt.Sprint(r.Body["message"]), tt.msg) {
				t.Errorf("got %d %s", r.Status, r.Raw)
			}
		})
	}
	// None of the failed PATCHes changed the page.
	p, _ := f.fake.Page(f.page)
	if p.Props["Current"] != 3.0 || p.Props["Status"] != "On track" || p.Props["Evidence"] != "" {
		t.Errorf("page changed by failed requests: %v", p.Props)
	}
}

func TestPatchPageValues(t *testing.T) {
	f := setup(t)
	body := `{"properties":{
		"Current":{"number":null},"Target":{"number":40},"Status":{"status":{"name":"At risk"}},
		"Last synced":{"date":{"start":"2026-11-19"}},
		"Evidence":{"rich_text":[{"type":"text","text":{"content":"PR 12","link":{"url":"https://github.com/a/b/pull/12"}}},{"text":{"content":" and more"}}]}}}`
	r := f.call(t, "PATCH", "/v1/pages/"+strings.ReplaceAll(f.page, "-", ""), body, nil)
	if r.Status != 200 || r.Body["object"] != "page" {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	p, _ := f.fake.Page(f.page)
	want := map[string]any{"Current": nil, "Target": 40.0, "Status": "At risk", "Last synced": "2026-11-19", "Evidence": "PR 12 and more"}
	for k, v := range want {
		if p.Props[k] != v {
			t.Errorf("%s = %#v, want %#v", k, p.Props[k], v)
		}
	}
	if !slices.Equal(p.Links["Evidence"], []string{"https://github.com/a/b/pull/12"}) {
		t.Errorf("links = %v", p.Links["Evidence"])
	}
	ev := r.Body["properties"].(map[string]any)["Evidence"].(map[string]any)["rich_text"].([]any)[0].(map[string]any)
	if ev["plain_text"] != "PR 12" || ev["href"] != "https://github.com/a/b/pull/12" {
		t.Errorf("rendered rich text = %v", ev)
	}
}

func TestTrashedPages(t *testing.T) {
	f := setup(t)
	_ = f.fake.Trash(f.page)
	// Reads still work and say so.
	if r := f.call(t, "GET", "/v1/pages/"+f.page, "", nil); r.Status != 200 || r.Body["archived"] != true || r.Body["in_trash"] != true {
		t.Fatalf("GET trashed page: %d %s", r.Status, r.Raw)
	}
	// Edits are refused...
	r := f.call(t, "PATCH", "/v1/pages/"+f.page, `{"properties":{"Current":{"number":5}}}`, nil)
	if r.Status != 400 || !strings.Contains(r.Raw, "archived") {
		t.Fatalf("PATCH trashed page: %d %s", r.Status, r.Raw)
	}
	// ...unless the request restores the page: the trap of notionapi's "archived": false.
	r = f.call(t, "PATCH", "/v1/pages/"+f.page, `{"properties":{"Current":{"number":5}},"archived":false}`, nil)
	if p, _ := f.fake.Page(f.page); r.Status != 200 || p.Trashed || f.fake.Restores() != 1 || p.Props["Current"] != 5.0 {
		t.Fatalf("restore: %d trashed=%v restores=%d", r.Status, p.Trashed, f.fake.Restores())
	}
	// Trashed rows are left out of queries; unshared pages are invisible.
	_ = f.fake.Trash(f.page)
	r = f.call(t, "POST", "/v1/databases/"+f.db+"/query", `{}`, nil)
	if n := len(r.Body["results"].([]any)); n != 0 {
		t.Errorf("query returned %d trashed rows", n)
	}
	_ = f.fake.SetShared(f.page, false)
	if r := f.call(t, "GET", "/v1/pages/"+f.page, "", nil); r.Status != 404 {
		t.Errorf("unshared page: %d", r.Status)
	}
}

func TestQueryPagination(t *testing.T) {
	f := setup(t)
	for i := range 249 {
		if _, err := f.fake.AddPage(f.db, map[string]any{"Name": fmt.Sprint(i), "Key": fmt.Sprintf("kr-%d", i+2)}); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	body := `{"page_size":100}`
	for pages := 1; ; pages++ {
		r := f.call(t, "POST", "/v1/databases/"+f.db+"/query", body, nil)
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
		for _, row := range r.Body["results"].([]any) {
			keys = append(keys, row.(map[string]any)["id"].(string))
		}
		if r.Body["has_more"] != true {
			if pages != 3 || r.Body["next_cursor"] != nil {
				t.Errorf("pages = %d, next_cursor = %v", pages, r.Body["next_cursor"])
			}
			break
		}
		body = fmt.Sprintf(`{"page_size":100,"start_cursor":%q}`, r.Body["next_cursor"])
	}
	if len(keys) != 250 || len(slices.Compact(slices.Sorted(slices.Values(keys)))) != 250 {
		t.Errorf("rows = %d (distinct %d)", len(keys), len(slices.Compact(slices.Sorted(slices.Values(keys)))))
	}
	if r := f.call(t, "POST", "/v1/databases/"+f.db+"/query", `{"start_cursor":"nope"}`, nil); r.Status != 400 {
		t.Errorf("bad cursor: %d", r.Status)
	}
	if got := f.fake.Count("POST /v1/databases/{id}/query"); got != 4 {
		t.Errorf("counted %d queries, want 4", got)
	}
}

func TestBlocks(t *testing.T) {
	f := setup(t)
	if _, err := f.fake.AddBlock(f.page, "paragraph", "hello"); err != nil {
		t.Fatal(err)
	}
	r := f.call(t, "PATCH", "/v1/blocks/"+f.page+"/children",
		`{"children":[{"object":"block","type":"callout","callout":{"rich_text":[{"text":{"content":"one"}}],"icon":{"type":"emoji","emoji":"📈"}}},{"paragraph":{"rich_text":[]}}]}`, nil)
	if r.Status != 200 || len(r.Body["results"].([]any)) != 2 {
		t.Fatalf("append: %d %s", r.Status, r.Raw)
	}
	id := r.Body["results"].([]any)[0].(map[string]any)["id"].(string)
	if r := f.call(t, "PATCH", "/v1/blocks/"+id, `{"callout":{"rich_text":[{"text":{"content":"two"}}]}}`, nil); r.Status != 200 {
		t.Fatalf("update: %d %s", r.Status, r.Raw)
	}
	if r := f.call(t, "PATCH", "/v1/blocks/"+id, `{"paragraph":{"rich_text":[]}}`, nil); r.Status != 400 {
		t.Errorf("type mismatch: %d %s", r.Status, r.Raw)
	}
	r = f.call(t, "GET", "/v1/blocks/"+f.page+"/children?page_size=2", "", nil)
	if r.Body["has_more"] != true || len(r.Body["results"].([]any)) != 2 {
		t.Errorf("list page 1: %s", r.Raw)
	}
	r = f.call(t, "GET", "/v1/blocks/"+f.page+"/children?page_size=2&start_cursor="+r.Body["next_cursor"].(string), "", nil)
	if r.Body["has_more"] != false || len(r.Body["results"].([]any)) != 1 {
		t.Errorf("list page 2: %s", r.Raw)
	}
	if r := f.call(t, "DELETE", "/v1/blocks/"+id, "", nil); r.Status != 200 || r.Body["archived"] != true {
		t.Errorf("delete: %d %s", r.Status, r.Raw)
	}
	if r := f.call(t, "PATCH", "/v1/blocks/"+id, `{"callout":{"rich_text":[]}}`, nil); r.Status != 400 {
		t.Errorf("update of a deleted block: %d", r.Status)
	}
	kids := f.fake.Children(f.page)
	if len(kids) != 3 || kids[1].Text != "two" || !kids[1].Trashed {
		t.Errorf("children = %+v", kids)
	}
	many := strings.TrimSuffix(strings.Repeat(`{"paragraph":{"rich_text":[]}},`, 101), ",")
	if r := f.call(t, "PATCH", "/v1/blocks/"+f.page+"/children", `{"children":[`+many+`]}`, nil); r.Status != 400 {
		t.Errorf("101 children: %d", r.Status)
	}
}

func TestFaultsAndCounting(t *testing.T) {
	f := setup(t)
	ra := 4
	f.fake.Inject(notionfake.Fault{Method: "GET", Path: "/v1/pages/", Status: 429, RetryAfter: &ra})
	f.fake.Inject(notionfake.Fault{Status: 529})
	f.fake.Inject(notionfake.Fault{Status: 502, HTML: true})
	r1 := f.call(t, "GET", "/v1/pages/"+f.page, "", nil)
	r2 := f.call(t, "GET", "/v1/pages/"+f.page, "", nil)
	r3 := f.call(t, "GET", "/v1/pages/"+f.page, "", nil)
	r4 := f.call(t, "GET", "/v1/pages/"+f.page, "", nil)
	if r1.Status != 429 || r1.Header.Get("Retry-After") != "4" || r1.Body["code"] != "rate_limited" {
		t.Errorf("429: %d %v %s", r1.Status, r1.Header, r1.Raw)
	}
	if r2.Status != 529 || r2.Body["code"] != "service_overload" {
		t.Errorf("529: %d %s", r2.Status, r2.Raw)
	}
	if r3.Status != 502 || !strings.HasPrefix(r3.Raw, "<html>") {
		t.Errorf("502: %d %s", r3.Status, r3.Raw)
	}
	if r4.Status != 200 {
		t.Errorf("after faults: %d", r4.Status)
	}
	if got := f.fake.Requests(); got["GET /v1/pages/{id}"] != 4 || len(got) != 1 {
		t.Errorf("requests = %v", got)
	}
	f.fake.EnforceRate(1, 2)
	var limited int
	for range 5 {
		if f.call(t, "GET", "/v1/pages/"+f.page, "", nil).Status == 429 {
			limited++
		}
	}
	if limited < 2 {
		t.Errorf("EnforceRate(1, 2): %d of 5 immediate requests limited", limited)
	}
}

// TestNotionapiAgainstFake runs the real client library against the fake:
// its decoders accept the fake's answers, and its PageUpdateRequest really
// does restore a trashed page.
func TestNotionapiAgainstFake(t *testing.T) {
	f := setup(t)
	c := notionapi.NewClient(token, notionapi.WithHTTPClient(&http.Client{Transport: rewrite{f.srv.URL}}), notionapi.WithRetry(1))
	ctx := t.Context()
	pg, err := c.Page.Get(ctx, notionapi.PageID(f.page))
	if err != nil {
		t.Fatal(err)
	}
	if n := pg.Properties["Current"].(*notionapi.NumberProperty).Number; n != 3 {
		t.Errorf("Current = %v", n)
	}
	q, err := c.Database.Query(ctx, notionapi.DatabaseID(f.db), &notionapi.DatabaseQueryRequest{PageSize: 10})
	if err != nil || len(q.Results) != 1 {
		t.Fatalf("query: %v %+v", err, q)
	}
	if _, err := c.Block.AppendChildren(ctx, notionapi.BlockID(f.page), &notionapi.AppendBlockChildrenRequest{Children: []notionapi.Block{
		&notionapi.ParagraphBlock{BasicBlock: notionapi.BasicBlock{Object: "block", Type: "paragraph"},
			Paragraph: notionapi.Paragraph{RichText: []notionapi.RichText{{Text: &notionapi.Text{Content: "hi"}}}}},
	}}); err != nil {
		t.Fatal(err)
	}
	kids, err := c.Block.GetChildren(ctx, notionapi.BlockID(f.page), nil)
	if err != nil || len(kids.Results) != 1 {
		t.Fatalf("children: %v", err)
	}
	_ = f.fake.Trash(f.page)
	if _, err := c.Page.Update(ctx, notionapi.PageID(f.page), &notionapi.PageUpdateRequest{Properties: notionapi.Properties{
		"Current": notionapi.NumberProperty{Number: 9},
	}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := f.fake.Page(f.page); p.Trashed || f.fake.Restores() != 1 {
		t.Error("notionapi's update did not restore the page; the trap may be gone")
	}
	var nerr *notionapi.Error
	_, err = c.Page.Get(ctx, "0123456789abcdef0123456789abcdef")
	if !asErr(err, &nerr) || nerr.Status != 404 || nerr.Code != "object_not_found" {
		t.Errorf("404 via notionapi: %v", err)
	}
}

func asErr(err error, target **notionapi.Error) bool {
	e, ok := err.(*notionapi.Error)
	*target = e
	return ok
}

// rewrite sends notionapi's api.notion.com requests to the fake.
type rewrite struct{ base string }

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	u, _ := req.URL.Parse(r.base + req.URL.Path)
	u.RawQuery = req.URL.RawQuery
	out.URL, out.Host = u, ""
	return http.DefaultTransport.RoundTrip(out)
}

func TestConcurrentUse(t *testing.T) {
	f := setup(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(context.Background(), "PATCH", f.srv.URL+"/v1/pages/"+f.page,
				strings.NewReader(fmt.Sprintf(`{"properties":{"Current":{"number":%d}}}`, i)))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Notion-Version", "2022-06-28")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
			_, _ = f.fake.Page(f.page)
			_ = f.fake.Requests()
		})
	}
	wg.Wait()
	if got := f.fake.Count("PATCH /v1/pages/{id}"); got != 20 {
		t.Errorf("counted %d", got)
	}
}

// TestEditedSinceFilter: the last_edited_time filter of a query, as Notion
// answers it: a page's edit time moves with any edit of its blocks, nested
// ones too, and is compared rounded down to the minute; other filters are
// refused; has_children counts only blocks not in the trash.
func TestEditedSinceFilter(t *testing.T) {
	t0 := time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)
	now := t0
	fake := notionfake.New(token, notionfake.WithClock(func() time.Time { return now }))
	f := &fixture{fake: fake, srv: httptest.NewServer(fake)}
	t.Cleanup(f.srv.Close)
	db, _ := fake.AddDatabase("", "KRs", notionfake.GoalsSchema())
	a, _ := fake.AddPage(db, map[string]any{"Name": "A", "Key": "a"})
	b, _ := fake.AddPage(db, map[string]any{"Name": "B", "Key": "b"})
	callout, err := fake.AddBlock(b, "callout", "check-in")
	if err != nil {
		t.Fatal(err)
	}
	now = t0.Add(10 * time.Minute)
	if _, err := fake.AddBlock(a, "paragraph", "a page edit"); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(30*time.Minute + 20*time.Second)
	kid := f.call(t, "PATCH", "/v1/blocks/"+callout+"/children", `{"children":[{"paragraph":{"rich_text":[]}}]}`, nil)
	if kid.Status != 200 {
		t.Fatalf("append under the callout: %d %s", kid.Status, kid.Raw)
	}
	filter := func(at time.Duration) string {
		return fmt.Sprintf(`{"filter":{"timestamp":"last_edited_time","last_edited_time":{"on_or_after":%q}}}`, t0.Add(at).Format(time.RFC3339))
	}
	tests := []struct {
		name, body string
		status     int
		want       []string
	}{
		{"no filter: every row", `{}`, 200, []string{"A", "B"}},
		{"a block added to the page", filter(5 * time.Minute), 200, []string{"A", "B"}},
		{"a block added under a block of the page", filter(25 * time.Minute), 200, []string{"B"}},
		{"rounded down to the minute", filter(30 * time.Minute), 200, []string{"B"}},
		{"after the last edit's minute", filter(31 * time.Minute), 200, nil},
		{"another filter", `{"filter":{"property":"Key","rich_text":{"is_not_empty":true}}}`, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.call(t, "POST", "/v1/databases/"+db+"/query", tt.body, nil)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Raw)
			}
			var got []string
			results, _ := r.Body["results"].([]any)
			for _, res := range results {
				props := res.(map[string]any)["properties"].(map[string]any)
				got = append(got, props["Name"].(map[string]any)["title"].([]any)[0].(map[string]any)["plain_text"].(string))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("rows = %v, want %v", got, tt.want)
			}
		})
	}
	kidID := kid.Body["results"].([]any)[0].(map[string]any)["id"].(string)
	if r := f.call(t, "DELETE", "/v1/blocks/"+kidID, "", nil); r.Status != 200 {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := f.call(t, "GET", "/v1/blocks/"+callout, "", nil); r.Body["has_children"] != false {
		t.Errorf("has_children with only a trashed child = %v, want false", r.Body["has_children"])
	}
}
