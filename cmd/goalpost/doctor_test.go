package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox"
	"github.com/goalpost/goalpost/internal/sandbox/pagerdutyfake"
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

// doctor checks the incident tools' keys with one read each: a valid key
// passes, a wrong one fails with the fix, and neither key is printed.
func TestDoctorIncidentTools(t *testing.T) {
	const pdKey, ioKey = "pd-sandbox-key", "io-sandbox-key"
	pd := httptest.NewServer(pagerdutyfake.New(pdKey))
	defer pd.Close()
	io := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+ioKey || r.URL.Path != "/v2/incidents" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"type":"authentication_error","status":401,"errors":[{"message":"invalid API key"}]}`))
			return
		}
		_, _ = w.Write([]byte(`{"incidents":[],"pagination_meta":{"page_size":1}}`))
	}))
	defer io.Close()
	config := func(pdTok, ioTok string) string {
		p := filepath.Join(t.TempDir(), "goalpost.toml")
		text := fmt.Sprintf("[pagerduty]\nbase_url = %q\ntoken = %q\nservice_ids = [\"PSVC001\"]\nmax_wait = \"1s\"\n\n[incidentio]\nbase_url = %q\ntoken = %q\nmax_wait = \"1s\"\n",
			pd.URL, pdTok, io.URL, ioTok)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	code, out, errOut := runCLI(t, "doctor", "-c", config(pdKey, ioKey))
	if code != exitOK || !strings.Contains(out, "ok   pagerduty incidents readable") || !strings.Contains(out, "ok   incident.io incidents readable") {
		t.Fatalf("doctor with valid keys: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "doctor", "-c", config("wrong-pd", "wrong-io"))
	for _, want := range []string{"FAIL pagerduty incidents readable", "fix: set [pagerduty] token", "FAIL incident.io incidents readable", "fix: set [incidentio] token"} {
		if code != exitFailure || !strings.Contains(out, want) {
			t.Errorf("doctor with wrong keys: exit %d, want 1 and %q:\n%s", code, want, out)
		}
	}
	if strings.Contains(out, "wrong-pd") || strings.Contains(out, "wrong-io") {
		t.Errorf("a key is in doctor's output:\n%s", out)
	}
	pd.Close()
	io.Close()
	code, out, _ = runCLI(t, "doctor", "-c", config(pdKey, ioKey))
	if code != exitFailure || strings.Count(out, "fix: goalpost could not reach the service") != 2 {
		t.Errorf("doctor with both services down: exit %d, want 1 and the network fix twice:\n%s", code, out)
	}
}
