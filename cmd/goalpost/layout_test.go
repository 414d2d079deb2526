package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLayout checks the seams issue 10 and ADR 8 promise, on the source
// tree itself: at most eight top-level folders hold Go code, each named in
// the README's layout table; one package sends Notion-Version; one package
// builds Slack Web API calls; one type splits "svc:kind:id" targets.
func TestLayout(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var top []string
	only := map[string]map[string]bool{} // rule → files that break it
	rules := []struct {
		name, allowed string
		re            *regexp.Regexp
	}{
		{"Notion-Version", "connectors/notion/", regexp.MustCompile(`"Notion-Version"`)},
		{"Slack Web API methods", "connectors/slack/", regexp.MustCompile(`"chat\.(postMessage|update)"`)},
		{"target splitting", "writeback/outbox/", regexp.MustCompile(`strings\.SplitN\([^)]*":", 3\)`)},
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		hasGo := false
		err := filepath.WalkDir(filepath.Join(root, e.Name()), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
				return err
			}
			hasGo = true
			rel := filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator)))
			if strings.HasSuffix(p, "_test.go") || strings.HasPrefix(rel, "internal/sandbox/") {
				return nil
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, r := range rules {
				if r.re.Match(src) && !strings.HasPrefix(rel, r.allowed) {
					if only[r.name] == nil {
						only[r.name] = map[string]bool{}
					}
					only[r.name][rel] = true
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if hasGo {
			top = append(top, e.Name())
		}
	}
	if len(top) > 8 {
		t.Errorf("%d top-level folders hold Go code, want at most 8: %v", len(top), top)
	}
	for _, dir := range top {
		if !strings.Contains(string(readme), "| `"+dir) {
			t.Errorf("top-level folder %s is not in the README's layout table", dir)
		}
	}
	for name, files := range only {
		t.Errorf("%s outside its one package: %v", name, files)
	}
}
