package notionfake_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/goalpost/goalpost/internal/fixtures"
)

// TestConformanceShapes compares the fake's answers with recorded Notion
// payloads in ../shared/fixtures/notion (skipped when absent): the same
// top-level fields on pages, property values and errors.
func TestConformanceShapes(t *testing.T) {
	dir := fixtureDir(t)
	f := setup(t)
	var real map[string]any
	readJSON(t, filepath.Join(dir, "page.retrieve.title-only.json"), &real)
	ours := f.call(t, "GET", "/v1/pages/"+f.page, "", nil).Body
	for _, k := range []string{"object", "id", "created_time", "last_edited_time", "created_by", "last_edited_by", "cover", "icon", "parent", "archived", "in_trash", "properties", "url", "public_url"} {
		if _, ok := real[k]; !ok {
			t.Errorf("fixture page lacks %q (fixture changed?)", k)
		}
		if _, ok := ours[k]; !ok {
			t.Errorf("fake page lacks %q", k)
		}
	}
	var all map[string]any
	readJSON(t, filepath.Join(dir, "page.all-property-types.json"), &all)
	realProps := all["properties"].(map[string]any)
	ourProps := ours["properties"].(map[string]any)
	pairs := map[string]string{"Number": "Current", "Status": "Status", "Text": "Evidence", "Title": "Name", "Date": "Last synced", "People": "Owner"}
	for realName, ourName := range pairs {
		if got, want := keys(ourProps[ourName]), keys(realProps[realName]); !slices.Equal(got, want) {
			t.Errorf("%s value keys %v, fixture's %s has %v", ourName, got, realName, want)
		}
	}
	var realErr map[string]any
	readJSON(t, filepath.Join(dir, "error.401.unauthorized.json"), &realErr)
	ourErr := f.call(t, "GET", "/v1/pages/"+f.page, "", map[string]string{"Authorization": ""}).Body
	if got, want := keys(ourErr), keys(realErr); !slices.Equal(got, want) || ourErr["message"] != realErr["message"] {
		t.Errorf("401 body %v, fixture %v", ourErr, realErr)
	}
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("fixture not available: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func fixtureDir(t *testing.T) string {
	t.Helper()
	return fixtures.Dir(t, "notion")
}
