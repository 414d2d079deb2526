package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox"
)

// goalpost doctor against the sandbox: its configuration passes; each
// seeded misconfiguration is named with its fix and makes doctor exit 1.
func TestDoctorAgainstTheSandbox(t *testing.T) {
	sb, err := sandbox.Start(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	dir := t.TempDir()
	good := sb.Config(dir, "127.0.0.1:0")
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	code, out, errOut := runCLI(t, "doctor", "-c", write("good.toml", good))
	if code != 0 || strings.Contains(out, "FAIL") || !strings.Contains(out, "ok   notion: token") {
		t.Fatalf("doctor on the sandbox config: exit %d\n%s%s", code, out, errOut)
	}

	var hidden string
	for _, id := range sb.Pages {
		hidden = id
		break
	}
	if err := sb.Notion.SetShared(hidden, false); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(good, "[[github.repos]]", "[[github.repos]]\nname = \"acme/nope\"\n\n[[github.repos]]", 1)
	code, out, _ = runCLI(t, "doctor", "-c", write("bad.toml", bad))
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		"FAIL github acme/nope: repository readable",
		"fix: give the token read access to Metadata on acme/nope",
		"FAIL notion page " + hidden,
		"fix: share the page with the integration",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, sandbox.GitHubToken) || strings.Contains(out, sandbox.NotionToken) {
		t.Error("a token is in doctor's output")
	}
}
