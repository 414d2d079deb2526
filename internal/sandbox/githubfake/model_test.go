package githubfake

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

func TestCompare(t *testing.T) {
	f, srv, _ := newFake(t)
	base := must1[string](t)(f.DefaultBranchHead("acme/api"))
	for i := range 300 {
		must1[string](t)(f.AddCommit("acme/api", Commit{Message: fmt.Sprint("c", i)}))
	}
	head := must1[string](t)(f.DefaultBranchHead("acme/api"))
	type cmp struct {
		Status       string `json:"status"`
		AheadBy      int    `json:"ahead_by"`
		BehindBy     int    `json:"behind_by"`
		TotalCommits int    `json:"total_commits"`
		Commits      []struct {
			SHA    string `json:"sha"`
			Commit struct {
				Message string `json:"message"`
			} `json:"commit"`
		} `json:"commits"`
	}
	read := func(path string) (cmp, answer) {
		a := get(t, srv, path)
		var c cmp
		must(t, json.Unmarshal(a.body, &c))
		return c, a
	}
	c, _ := read("/repos/acme/api/compare/" + base + "..." + head)
	if c.Status != "ahead" || c.TotalCommits != 300 || len(c.Commits) != 250 || c.Commits[0].Commit.Message != "c0" {
		t.Fatalf("unpaginated: status %s total %d commits %d first %q", c.Status, c.TotalCommits, len(c.Commits), c.Commits[0].Commit.Message)
	}
	c, a := read("/repos/acme/api/compare/" + base[:7] + "..." + head + "?per_page=100&page=3")
	if len(c.Commits) != 100 || c.Commits[99].SHA != head || strings.Contains(a.header.Get("Link"), `rel="next"`) {
		t.Fatalf("page 3: %d commits, last %s, Link %s", len(c.Commits), c.Commits[len(c.Commits)-1].SHA, a.header.Get("Link"))
	}
	if c, _ := read("/repos/acme/api/compare/" + head + "..." + base); c.Status != "behind" || c.BehindBy != 300 || len(c.Commits) != 0 {
		t.Fatalf("reversed: %+v", c.Status)
	}
	if c, _ := read("/repos/acme/api/compare/main...main"); c.Status != "identical" {
		t.Fatalf("identical: %s", c.Status)
	}
	if a := get(t, srv, "/repos/acme/api/compare/nope...main"); a.status != 404 {
		t.Fatalf("unknown base: %d", a.status)
	}
}

func TestPullsForCommit(t *testing.T) {
	f, srv, _ := newFake(t)
	squash := must1[int](t)(f.AddPullRequest("acme/api", PullRequest{Title: "squash", Commits: 2}))
	merge := must1[int](t)(f.AddPullRequest("acme/api", PullRequest{Title: "merge", Commits: 2}))
	rebase := must1[int](t)(f.AddPullRequest("acme/api", PullRequest{Title: "rebase", Commits: 2}))
	open := must1[int](t)(f.AddPullRequest("acme/api", PullRequest{Title: "open"}))
	squashSHA := must1[string](t)(f.MergePullRequest("acme/api", squash, MergeOptions{}))
	mergeSHA := must1[string](t)(f.MergePullRequest("acme/api", merge, MergeOptions{Method: "merge"}))
	rebaseSHA := must1[string](t)(f.MergePullRequest("acme/api", rebase, MergeOptions{Method: "rebase"}))
	direct := must1[string](t)(f.AddCommit("acme/api", Commit{Message: "hotfix"}))
	mergeBranch := must1[string](t)(f.BranchHead("acme/api", "pr-"+strconv.Itoa(merge)))
	openHead := must1[string](t)(f.BranchHead("acme/api", "pr-"+strconv.Itoa(open)))
	rebaseFirst := must1[string](t)(f.AddCommit("acme/api", Commit{Branch: "scratch", Message: "x"}))
	_ = rebaseFirst
	cases := []struct {
		name string
		sha  string
		want []float64
	}{
		{"squash commit", squashSHA, []float64{float64(squash)}},
		{"merge commit", mergeSHA, []float64{float64(merge)}},
		{"branch commit of a merged PR", mergeBranch, []float64{float64(merge)}},
		{"rebased commit", rebaseSHA, []float64{float64(rebase)}},
		{"direct push", direct, nil},
		{"open PR head", openHead, []float64{float64(open)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []float64
			for _, pr := range decodeList(t, get(t, srv, "/repos/acme/api/commits/"+tc.sha+"/pulls")) {
				got = append(got, pr["number"].(float64))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	full := get(t, srv, "/repos/acme/api/pulls/"+strconv.Itoa(merge))
	if !strings.Contains(string(full.body), `"merged":true`) || !strings.Contains(string(full.body), `"merge_commit_sha":"`+mergeSHA+`"`) {
		t.Fatalf("get PR: %s", full.body)
	}
}

func TestHookDeliveries(t *testing.T) {
	f, srv, clk := newFake(t)
	hook := must1[int64](t)(f.AddHook("acme/api"))
	var ids []int64
	for i := range 5 {
		clk.add(time.Second)
		code := 200
		if i == 3 {
			code = 502
		}
		ids = append(ids, must1[int64](t)(f.AddHookDelivery("acme/api", hook, HookDelivery{GUID: fmt.Sprint("g", i), Event: "pull_request", StatusCode: code})))
	}
	path := fmt.Sprintf("/repos/acme/api/hooks/%d/deliveries", hook)
	a := get(t, srv, path+"?per_page=2")
	first := decodeList(t, a)
	if len(first) != 2 || first[0]["guid"] != "g4" || first[1]["status"] != "Invalid HTTP Response: 502" {
		t.Fatalf("first page %v", first)
	}
	next := a.header.Get("Link")
	u := next[strings.Index(next, "<")+1 : strings.Index(next, ">")]
	second := decodeList(t, get(t, srv, u[strings.Index(u, path):]))
	if len(second) != 2 || second[0]["guid"] != "g2" {
		t.Fatalf("second page %v (link %s)", second, next)
	}
	r := do(t, srv, http.MethodPost, fmt.Sprintf("%s/%d/attempts", path, ids[3]), "Authorization", "Bearer "+token)
	if r.status != http.StatusAccepted {
		t.Fatalf("redeliver: %d %s", r.status, r.body)
	}
	latest := decodeList(t, get(t, srv, path+"?per_page=1"))
	if latest[0]["guid"] != "g3" || latest[0]["redelivery"] != true || latest[0]["status"] != "OK" {
		t.Fatalf("redelivery row %v", latest[0])
	}
	if rd := f.Redeliveries(); len(rd) != 1 || rd[0].GUID != "g3" {
		t.Fatalf("redeliveries %v", rd)
	}
	org := f.AddOrgHook("acme")
	must1[int64](t)(f.AddHookDelivery("org:acme", org, HookDelivery{GUID: "o1", StatusCode: 0}))
	if got := decodeList(t, get(t, srv, fmt.Sprintf("/orgs/acme/hooks/%d/deliveries", org))); got[0]["status"] != "timed out" {
		t.Fatalf("org deliveries %v", got)
	}
}

func TestAppInstallationToken(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	f, srv, clk := newFake(t, WithApp(42, &key.PublicKey))
	sign := func(iss any, exp time.Duration) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
			"iss": iss, "iat": clk.now().Add(-time.Minute).Unix(), "exp": clk.now().Add(exp).Unix(),
		}).SignedString(key)
		must(t, err)
		return s
	}
	mint := func(jwt string) answer {
		return do(t, srv, http.MethodPost, "/app/installations/7/access_tokens", "Authorization", "Bearer "+jwt)
	}
	cases := []struct {
		name string
		jwt  string
		want int
	}{
		{"good", sign("42", 9*time.Minute), 201},
		{"numeric iss", sign(42, 9*time.Minute), 201},
		{"other app", sign("43", 9*time.Minute), 401},
		{"expired", sign("42", -time.Second), 401},
		{"too long", sign("42", time.Hour), 401},
		{"garbage", "x.y.z", 401},
	}
	for _, tc := range cases {
		if a := mint(tc.jwt); a.status != tc.want {
			t.Errorf("%s: %d %s", tc.name, a.status, a.body)
		}
	}
	var tok struct {
		Token string `json:"token"`
	}
	must(t, json.Unmarshal(mint(sign("42", 5*time.Minute)).body, &tok))
	if a := do(t, srv, http.MethodGet, "/repos/acme/api", "Authorization", "token "+tok.Token); a.status != 200 {
		t.Fatalf("installation token refused: %d", a.status)
	}
	clk.add(time.Hour)
	if a := do(t, srv, http.MethodGet, "/repos/acme/api", "Authorization", "token "+tok.Token); a.status != 401 {
		t.Fatalf("expired installation token accepted: %d", a.status)
	}
	_ = f
}

func TestWorkflowRunsAndReleases(t *testing.T) {
	f, srv, clk := newFake(t)
	for i, concl := range []string{"success", "failure", "success"} {
		clk.add(24 * time.Hour)
		must1[int64](t)(f.AddWorkflowRun("acme/api", WorkflowRun{Workflow: "deploy.yml", Conclusion: concl, Actor: "ci"}))
		must1[int64](t)(f.AddWorkflowRun("acme/api", WorkflowRun{Workflow: "ci.yml", Conclusion: "success"}))
		must1[int64](t)(f.AddRelease("acme/api", Release{TagName: fmt.Sprint("v", i), Draft: i == 2}))
	}
	var runs struct {
		Total int              `json:"total_count"`
		Runs  []map[string]any `json:"workflow_runs"`
	}
	must(t, json.Unmarshal(get(t, srv, "/repos/acme/api/actions/workflows/deploy.yml/runs?branch=main&status=success").body, &runs))
	if runs.Total != 2 || runs.Runs[0]["conclusion"] != "success" {
		t.Fatalf("runs %+v", runs)
	}
	must(t, json.Unmarshal(get(t, srv, "/repos/acme/api/actions/workflows/deploy.yml/runs?created=>=2026-07-03").body, &runs))
	if runs.Total != 2 {
		t.Fatalf("created filter: %d runs", runs.Total)
	}
	rels := decodeList(t, get(t, srv, "/repos/acme/api/releases"))
	if len(rels) != 3 || rels[0]["tag_name"] != "v2" || rels[0]["published_at"] != nil {
		t.Fatalf("releases %v", rels)
	}
}

func TestDeployShortcut(t *testing.T) {
	f, srv, _ := newFake(t)
	id := must1[int64](t)(f.Deploy("acme/api", "production", "main", "ci", "success", t0))
	got := decodeList(t, get(t, srv, fmt.Sprintf("/repos/acme/api/deployments/%d/statuses", id)))
	if len(got) != 2 || got[0]["state"] != "success" || got[1]["state"] != "in_progress" {
		t.Fatalf("statuses %v", got)
	}
	if _, err := f.Deploy("acme/api", "production", "main", "ci", "done", t0); err == nil {
		t.Fatal("bad state accepted")
	}
}

func TestGetCommitRerunAndDeleteDeployment(t *testing.T) {
	f, srv, clk := newFake(t)
	head := must1[string](t)(f.DefaultBranchHead("acme/api"))
	if a := get(t, srv, "/repos/acme/api/commits/"+head[:7], "Accept", "application/vnd.github.v3.sha"); a.status != 200 || string(a.body) != head {
		t.Fatalf("commit sha: %d %s", a.status, a.body)
	}
	if a := get(t, srv, "/repos/acme/api/commits/main"); a.status != 200 || !strings.Contains(string(a.body), head) {
		t.Fatalf("commit: %d %s", a.status, a.body)
	}
	if a := get(t, srv, "/repos/acme/api/commits/0123456789abcdef0123456789abcdef01234567"); a.status != 422 {
		t.Fatalf("unknown commit: %d", a.status)
	}

	run := must1[int64](t)(f.AddWorkflowRun("acme/api", WorkflowRun{Workflow: "deploy.yml", Conclusion: "failure"}))
	clk.add(time.Hour)
	must(t, f.RerunWorkflowRun("acme/api", run, time.Time{}))
	var runs struct {
		Runs []map[string]any `json:"workflow_runs"`
	}
	must(t, json.Unmarshal(get(t, srv, "/repos/acme/api/actions/workflows/deploy.yml/runs").body, &runs))
	if r := runs.Runs[0]; r["run_attempt"] != 2.0 || r["status"] != "in_progress" || r["conclusion"] != nil || r["created_at"] == r["updated_at"] {
		t.Fatalf("re-run %v", r)
	}

	id := must1[int64](t)(f.Deploy("acme/api", "production", "main", "ci", "success", t0))
	must(t, f.DeleteDeployment("acme/api", id))
	if a := get(t, srv, fmt.Sprintf("/repos/acme/api/deployments/%d/statuses", id)); a.status != 404 {
		t.Fatalf("statuses of a deleted deployment: %d", a.status)
	}
	if err := f.DeleteDeployment("acme/api", id); err == nil {
		t.Fatal("deleted twice")
	}
}
