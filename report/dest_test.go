package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/connectors/notion"
)

func TestNewDestinations(t *testing.T) {
	cfg := &Config{Destinations: []DestinationConfig{
		{Name: "out", Type: DestStdout, Format: FormatJSON},
		{Name: "archive", Type: DestFile, Path: "r/{team}-{week}.html", Teams: []string{"platform"}},
		{Name: "chat", Type: DestSlack, WebhookURL: hookURL},
		{Name: "wiki", Type: DestNotion, ParentPageID: notionParent},
	}}
	var out bytes.Buffer
	ds, err := NewDestinations(cfg, Deps{Stdout: &out, Notion: &notion.Config{Token: notionToken}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 4 || ds[1].Sender.(*File).Format != FormatHTML || !ds[1].forTeam("platform") || ds[1].forTeam("growth") || !ds[0].forTeam("growth") {
		t.Errorf("destinations = %+v", ds)
	}
	if _, ok := ds[3].Sender.(*NotionPages); !ok {
		t.Errorf("notion sender is %T", ds[3].Sender)
	}
	// A notion destination needs a token from somewhere.
	if _, err := NewDestinations(&Config{Destinations: cfg.Destinations[3:]}, Deps{}); err == nil || !strings.Contains(err.Error(), "wiki") {
		t.Errorf("err = %v", err)
	}
}

func TestWriterAndFile(t *testing.T) {
	r := buildFixed(t)
	var out bytes.Buffer
	var p progressLog
	w := &Writer{W: &out, Format: FormatMarkdown}
	if err := w.Deliver(t.Context(), r, Progress{}, p.confirm); err != nil || out.String() != Markdown(r) {
		t.Fatalf("stdout: %v", err)
	}
	if err := w.Deliver(t.Context(), r, Progress{Parts: 1}, p.confirm); err != nil || out.Len() != len(Markdown(r)) {
		t.Errorf("a confirmed stdout delivery was written again")
	}

	dir := t.TempDir()
	f := &File{Path: filepath.Join(dir, "reports", "{team}", "{week}.md"), Format: FormatMarkdown}
	for range 2 { // delivering again replaces the file
		if err := f.Deliver(t.Context(), r, Progress{}, p.confirm); err != nil {
			t.Fatal(err)
		}
	}
	want := filepath.Join(dir, "reports", "platform", "2026-W47.md")
	b, err := os.ReadFile(want)
	if err != nil || string(b) != Markdown(r) || p.last().Ref != want {
		t.Fatalf("file: %v, ref %q", err, p.last().Ref)
	}
	entries, _ := os.ReadDir(filepath.Dir(want))
	if len(entries) != 1 {
		t.Errorf("left temporary files behind: %v", entries)
	}
	// A team name cannot escape the directory.
	r2 := *r
	r2.Team = "../../etc"
	if got := f.path(&r2); !strings.HasPrefix(filepath.Clean(got), filepath.Join(dir, "reports")+string(filepath.Separator)) {
		t.Errorf("path = %s", got)
	}
}
