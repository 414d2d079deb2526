package notion

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jomei/notionapi"

	"github.com/goalpost/goalpost/internal/fixtures"
)

// fixture reads a recorded Notion payload from ../shared/fixtures/notion
// (next to the repository root), skipping the test when it is absent.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures.Dir(t, "notion"), name))
	if err != nil {
		t.Skipf("fixture not available: %v", err)
	}
	return b
}

// TestConformancePageDecoding reads a real page carrying every property
// type. Our decoder reads what goalpost needs; notionapi's rejects the whole
// page because of one property type it does not know, which is why page
// reads do not go through it.
func TestConformancePageDecoding(t *testing.T) {
	raw := fixture(t, "page.all-property-types.json")
	var p page
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{"Title": "Item 2", "Number": "2", "Status": "Not started", "Text": "Text 2", "Select": "", "ID": "3"}
	for name, want := range checks {
		if got := p.Properties[name].text(); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if p.trashed() {
		t.Error("page read as trashed")
	}
	var lib notionapi.Page
	if err := json.Unmarshal(raw, &lib); err == nil || !strings.Contains(err.Error(), "unsupported property type") {
		t.Logf("notionapi now decodes this page (err = %v); page reads could move back to it", err)
	}
}

func TestConformanceQueryPages(t *testing.T) {
	tests := []struct {
		file    string
		results int
		hasMore bool
	}{
		{"data_source.query.page1-of-2.has_more-true.json", 100, true},
		{"data_source.query.page2-of-2.has_more-false.json", 10, false},
		{"data_source.query.page_size-1.has_more-true.json", 1, true},
		{"database.query.legacy-api.jomei-notionapi.json", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var qp queryPage
			if err := json.Unmarshal(fixture(t, tt.file), &qp); err != nil {
				t.Fatal(err)
			}
			if len(qp.Results) != tt.results || qp.HasMore != tt.hasMore || (tt.hasMore && (qp.NextCursor == nil || *qp.NextCursor == "")) {
				t.Errorf("results=%d has_more=%v next=%v", len(qp.Results), qp.HasMore, qp.NextCursor)
			}
			for _, p := range qp.Results {
				if p.ID == "" {
					t.Error("row without id")
				}
			}
		})
	}
}

func TestConformanceErrors(t *testing.T) {
	tests := []struct {
		file      string
		status    int
		code      string
		permanent bool
	}{
		{"error.400.validation_error.json", 400, "validation_error", true},
		{"error.400.invalid_request_url.json", 400, "invalid_request_url", true},
		{"error.401.unauthorized.json", 401, "unauthorized", true},
		{"error.404.object_not_found.json", 404, "object_not_found", true},
		{"error.404.object_not_found.sdk-py.json", 404, "object_not_found", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}}
			e := decodeError(resp, fixture(t, tt.file), evalNow)
			if e.Code != tt.code || e.Permanent() != tt.permanent || e.Message == "" {
				t.Errorf("got %+v", e)
			}
		})
	}
	// A proxy's HTML page keeps its status and is not permanent.
	e := decodeError(&http.Response{StatusCode: 502, Header: http.Header{}}, []byte("<html>Bad gateway</html>"), evalNow)
	if e.Status != 502 || e.Permanent() {
		t.Errorf("html 502 = %+v", e)
	}
}

var evalNow = mustTime("2026-11-19T10:15:00Z")

func mustTime(s string) (t time.Time) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestConformanceChildrenPagination: block-children pages recorded from
// the real API (three pages of two) are read through notionapi with our
// pagination (CountChildren, ChildPage, the check-in lookup).
func TestConformanceChildrenPagination(t *testing.T) {
	files := []string{"block.children.page1.has_more-true.json", "block.children.page2.has_more-true.json", "block.children.page3.has_more-false.json"}
	var bodies [][]byte
	for _, name := range files {
		bodies = append(bodies, fixture(t, name))
	}
	cursors := map[string]int{"": 0, "393abc1e-edcd-817b-900d-c75ec8d2f272": 1, "393abc1e-edcd-81d2-b73d-feaa29f12025": 2}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, ok := cursors[r.URL.Query().Get("start_cursor")]
		if !ok || r.URL.Path != "/v1/blocks/393abc1e-edcd-814b-aee5-cf69471e5a43/children" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bodies[i])
	}))
	defer srv.Close()
	c, err := NewClient(&Config{BaseURL: srv.URL + "/v1/", Token: "secret_x"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	count, err := c.CountChildren(t.Context(), "393abc1e-edcd-814b-aee5-cf69471e5a43")
	if err != nil || count != 5 {
		t.Fatalf("count = %d, %v; want the 5 paragraphs across 3 pages", count, err)
	}
}
