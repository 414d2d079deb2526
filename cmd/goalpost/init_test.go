package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox"
	"github.com/goalpost/goalpost/internal/sandbox/linearfake"
)

// runCLIEnv is runCLI with environment variables.
func runCLIEnv(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	env := &cliEnv{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), lookupEnv: lookup,
		getenv: func(k string) string { return vars[k] }}
	code = runMain(context.Background(), args, env)
	return code, out.String(), errb.String()
}

// goalpost init against the sandbox's GitHub, Notion and Linear: the file it
// writes passes check and doctor, names what the tokens can see, refuses to
// be overwritten without --force, and holds no token.
func TestInitAgainstTheSandbox(t *testing.T) {
	sb, err := sandbox.Start(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	const linearKey = "lin_api_sandbox-linear-key"
	lf := linearfake.New(linearKey)
	lf.AddTeam("ENG")
	lf.AddProject("7d3c0a4e-0000-4000-8000-000000000001", "Passkeys")
	lf.AddUser(linearfake.User{ID: "8e1f0000-0000-4000-8000-000000000001", Name: "Ana Lima", Email: "ana-lima@acme.example"})
	lsrv := httptest.NewServer(lf)
	defer lsrv.Close()
	vars := map[string]string{"GITHUB_TOKEN": sandbox.GitHubToken, "NOTION_TOKEN": sandbox.NotionToken, "LINEAR_API_KEY": linearKey}
	dir := t.TempDir()
	path := filepath.Join(dir, "goalpost.toml")
	args := []string{"init", "-o", path, "--github-url", sb.GitHubURL(), "--notion-url", sb.NotionURL(), "--linear-url", lsrv.URL}

	code, out, errOut := runCLIEnv(t, vars, args...)
	if code != exitOK {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, want := range []string{
		`token = "${GITHUB_TOKEN}"`, `name = "acme/api"`, `production_environments = ["production"]`,
		`api_key = "${LINEAR_API_KEY}"`, `teams = ["ENG"]`, "7d3c0a4e-0000-4000-8000-000000000001  Passkeys",
		`token = "${NOTION_TOKEN}"`, "Q4 key results",
		`key = "ana-lima"`, `github = "ana-lima"`, `linear = "8e1f0000-0000-4000-8000-000000000001"`,
		`# match = 'kind == "change.shipped" && repo == "acme/api"'`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the starter config lacks %q:\n%s", want, text)
		}
	}
	for _, tok := range []string{sandbox.GitHubToken, sandbox.NotionToken, linearKey} {
		if strings.Contains(text+out+errOut, tok) {
			t.Errorf("token %q is in init's file or output", tok)
		}
	}
	if code, out, errOut := runCLIEnv(t, vars, "check", "-c", path); code != exitOK {
		t.Fatalf("check on init's config: exit %d\n%s%s", code, out, errOut)
	}
	head, examples, _ := strings.Cut(text, "# [[objectives]]")
	examples = strings.ReplaceAll("# [[objectives]]"+examples, "\n#\n", "\n\n")
	examples = strings.ReplaceAll(examples, "\n# ", "\n")
	uncommented := filepath.Join(dir, "examples.toml")
	if err := os.WriteFile(uncommented, []byte(head+strings.TrimPrefix(examples, "# ")), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLIEnv(t, vars, "check", "-c", uncommented); code != exitOK || !strings.Contains(out, "2 key results") {
		t.Fatalf("check with the worked examples uncommented: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLIEnv(t, vars, "doctor", "-c", path)
	if code != exitOK || strings.Contains(out, "FAIL") {
		t.Fatalf("doctor on init's config: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCLIEnv(t, vars, args...); code != exitUsage || !strings.Contains(errOut, "--force") {
		t.Errorf("init over an existing file: exit %d, %q; want 2 naming --force", code, errOut)
	}
	if code, _, errOut := runCLIEnv(t, vars, append(args, "--force")...); code != exitOK {
		t.Errorf("init --force: exit %d\n%s", code, errOut)
	}
}

// Without any token init says which variables it reads (exit 2).
func TestInitWithoutTokens(t *testing.T) {
	code, out, errOut := runCLIEnv(t, nil, "init")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "GITHUB_TOKEN") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
