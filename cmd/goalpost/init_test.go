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
	"github.com/goalpost/goalpost/internal/sandbox/asanafake"
	"github.com/goalpost/goalpost/internal/sandbox/gitlabfake"
	"github.com/goalpost/goalpost/internal/sandbox/linearfake"
	"github.com/goalpost/goalpost/internal/sandbox/trellofake"
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

// goalpost init with a GitLab token: the projects the token is a member of,
// their production environments and merge-request authors (as
// handles = ["gitlab:…"]); the file passes check and doctor, and a doctor
// against a project the token cannot read fails with the fix.
func TestInitDiscoversGitLab(t *testing.T) {
	const tok = "glpat-sandbox-gitlab-token"
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	gf := gitlabfake.New(tok, func() time.Time { return at })
	gf.AddProject("acme/shop", "main")
	gf.AddProject("acme/tools", "main")
	gf.AddDeployment("acme/shop", gitlabfake.Deployment{ID: 1, Environment: "production", SHA: "a1", Ref: "main", Status: "success", CreatedAt: at})
	gf.AddDeployment("acme/shop", gitlabfake.Deployment{ID: 2, Environment: "review/fix-1", SHA: "b2", Ref: "fix-1", Status: "success", CreatedAt: at})
	for i, author := range []string{"ana-lima", "gl-bot", "ana-lima"} {
		gf.AddMR("acme/shop", gitlabfake.MR{IID: int64(i + 1), Title: "change", Author: author, State: "merged",
			TargetBranch: "main", CreatedAt: at, MergedAt: at})
	}
	srv := gf.Server()
	defer srv.Close()
	vars := map[string]string{"GITLAB_TOKEN": tok}
	path := filepath.Join(t.TempDir(), "goalpost.toml")
	code, out, errOut := runCLIEnv(t, vars, "init", "-o", path, "--gitlab-url", srv.URL+"/api/v4")
	if code != exitOK {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, want := range []string{
		`token = "${GITLAB_TOKEN}"`, `path = "acme/shop"`, `production_environments = ["production"]`,
		`path = "acme/tools"`, "set deploy_job", `handles = ["gitlab:gl-bot"]`, `handles = ["gitlab:ana-lima"]`,
		`# match = 'kind == "change.shipped" && repo == "acme/shop"'`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the starter config lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text+out+errOut, tok) {
		t.Error("the token is in init's file or output")
	}
	if code, out, errOut := runCLIEnv(t, vars, "check", "-c", path); code != exitOK {
		t.Fatalf("check on init's config: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLIEnv(t, vars, "doctor", "-c", path)
	if code != exitOK || !strings.Contains(out, "ok   gitlab acme/shop: deployments readable") {
		t.Fatalf("doctor on init's config: exit %d\n%s%s", code, out, errOut)
	}
	gone := strings.Replace(text, `path = "acme/tools"`, `path = "acme/gone"`, 1)
	if err := os.WriteFile(path, []byte(gone), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLIEnv(t, vars, "doctor", "-c", path)
	if code != exitFailure || !strings.Contains(out, "FAIL gitlab acme/gone: project readable") || !strings.Contains(out, "fix: give the token read_api on acme/gone") {
		t.Fatalf("doctor with an unreadable project: exit %d\n%s", code, out)
	}
}

// goalpost init with Asana and Trello tokens: Asana's projects and its
// users by email, Trello's boards with their done lists (by name, else the
// last list) and members as trello: handles; the file passes check and
// doctor, and doctor names a done list that is not the board's.
func TestInitDiscoversAsanaAndTrello(t *testing.T) {
	const asanaTok, trelloKey, trelloTok = "asana-sandbox-token", "trello-sandbox-key", "trello-sandbox-token"
	af := asanafake.New(asanaTok)
	af.AddTask(asanafake.Task{Name: "Rotate keys", Project: "1200000000000777", ProjectName: "Platform", Assignee: "ana-lima@acme.example"})
	asrv := httptest.NewServer(af)
	defer asrv.Close()
	tf := trellofake.New(trelloKey, trelloTok, "")
	lists := tf.AddBoard("5f0000000000000000000001", "Web", "To do", "Doing", "Shipped")
	tf.AddBoard("5f0000000000000000000002", "Ops", "Inbox", "Closed out")
	tf.AddCard("5f0000000000000000000001", lists[0], "Usage dashboard", nil, []string{"ana-lima", "mover"})
	tsrv := httptest.NewServer(tf)
	defer tsrv.Close()
	vars := map[string]string{"ASANA_TOKEN": asanaTok, "TRELLO_KEY": trelloKey, "TRELLO_TOKEN": trelloTok}
	path := filepath.Join(t.TempDir(), "goalpost.toml")
	code, out, errOut := runCLIEnv(t, vars, "init", "-o", path, "--asana-url", asrv.URL, "--trello-url", tsrv.URL)
	if code != exitOK {
		t.Fatalf("init: exit %d\n%s%s", code, out, errOut)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, want := range []string{
		`token = "${ASANA_TOKEN}"`, `projects = ["1200000000000777"]`, "1200000000000777  Platform (acme)",
		`email = "ana-lima@acme.example"`, `handles = ["trello:ana-lima"]`, `handles = ["trello:mover"]`,
		`key = "${TRELLO_KEY}"`, `id = "5f0000000000000000000001"`, `done_lists = ["` + lists[2] + `"]   # Shipped`,
		"Closed out (the board's last list: check)",
		`# scope = "project:1200000000000777"`, `# match = 'source == "asana"'`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the starter config lacks %q:\n%s", want, text)
		}
	}
	for _, tok := range []string{asanaTok, trelloKey, trelloTok} {
		if strings.Contains(text+out+errOut, tok) {
			t.Errorf("%q is in init's file or output", tok)
		}
	}
	if code, out, errOut := runCLIEnv(t, vars, "check", "-c", path); code != exitOK {
		t.Fatalf("check on init's config: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLIEnv(t, vars, "doctor", "-c", path)
	if code != exitOK || !strings.Contains(out, "ok   asana project 1200000000000777: readable — Platform") ||
		!strings.Contains(out, "ok   trello 5f0000000000000000000001: done_lists are its open lists") {
		t.Fatalf("doctor on init's config: exit %d\n%s%s", code, out, errOut)
	}
	wrong := strings.Replace(text, `done_lists = ["`+lists[2]+`"]`, `done_lists = ["`+lists[2][:23]+`f"]`, 1)
	if err := os.WriteFile(path, []byte(wrong), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLIEnv(t, vars, "doctor", "-c", path)
	if code != exitFailure || !strings.Contains(out, "FAIL trello 5f0000000000000000000001: done_lists are its open lists") {
		t.Fatalf("doctor with a foreign done list: exit %d\n%s", code, out)
	}
}
