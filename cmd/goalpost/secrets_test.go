package main

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/internal/sandbox/notionfake"
)

// TestSecretsNeverReachOutput runs every command that prints, with debug
// logging, failing and working upstreams, and looks for the secrets in all
// that was written.
func TestSecretsNeverReachOutput(t *testing.T) {
	const ghToken, notionToken = "ghp_S3CRET_github_token_value", "secret_N0TION_token_value"
	gh := githubfake.New(githubfake.WithToken(ghToken))
	if err := gh.AddRepo("acme/api", "main"); err != nil {
		t.Fatal(err)
	}
	ghSrv := httptest.NewServer(gh.Handler())
	defer ghSrv.Close()
	nf := notionfake.New("a-different-token") // every Notion write fails with 401
	nSrv := httptest.NewServer(nf)
	defer nSrv.Close()
	dir := t.TempDir()
	cfg := daemonConfig(filepath.Join(dir, "data"), ghSrv.URL+"/", 4096)
	cfg = strings.Replace(cfg, `token = "test-token"`, `token = "`+ghToken+`"`, 1)
	cfg = strings.Replace(cfg, `log_level = "error"`, `log_level = "debug"`, 1)
	cfg = strings.Replace(cfg, `match = 'kind == "pull_request.merged"'`, `match = 'kind == "pull_request.merged"'`+"\nnotion_page = \"5a0d1e00-0000-4000-8000-000000000100\"", 1)
	cfg += "[notion]\nbase_url = \"" + nSrv.URL + "/v1/\"\ntoken = \"" + notionToken + "\"\n"
	path := filepath.Join(dir, "goalpost.toml")
	if err := writeFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, args := range [][]string{
		{"check", "--print", "-c", path},
		{"sync", "--once", "-c", path},
		{"sync", "--once", "--dry-run", "-c", path},
		{"status", "-c", path},
		{"explain", "-c", path, "merged-10"},
		{"report", "-c", path, "--format", "json"},
	} {
		_, out, errOut := runCLI(t, args...)
		all.WriteString(out + errOut)
	}
	for _, s := range []string{ghToken, notionToken, hookSecret} {
		if strings.Contains(all.String(), s) {
			t.Fatalf("a secret reached the output:\n%s", all.String())
		}
	}
	if !strings.Contains(all.String(), "1 parked") {
		t.Fatalf("the Notion write should have failed with 401 and been parked:\n%s", all.String())
	}
	if !strings.Contains(all.String(), "[redacted]") {
		t.Fatal("check --print should show redacted secrets")
	}
}
