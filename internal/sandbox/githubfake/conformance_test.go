package githubfake

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/fixtures"
)

// fixturesDir finds ../shared/fixtures/<sub> next to the module root, or
// skips the test when it is absent.
func fixturesDir(t *testing.T, sub string) string {
	t.Helper()
	return fixtures.Dir(t, sub)
}

// TestShapesMatchRecordedAPI checks that what the fake serves has the shape
// of GitHub's recorded answers: every field it sends exists there, and the
// fields the connector reads are present.
func TestShapesMatchRecordedAPI(t *testing.T) {
	dir := fixturesDir(t, "github-rest")
	f, srv, clk := newFake(t)
	n := must1[int](t)(f.AddPullRequest("acme/api", PullRequest{Title: "t", Labels: []string{"perf"}, Author: "alice"}))
	clk.add(time.Hour)
	sha := must1[string](t)(f.MergePullRequest("acme/api", n, MergeOptions{}))
	dep := must1[int64](t)(f.AddDeployment("acme/api", Deployment{SHA: sha, Creator: "ci"}))
	must1[int64](t)(f.AddDeploymentStatus("acme/api", dep, DeploymentStatus{State: "success"}))
	must1[int64](t)(f.AddWorkflowRun("acme/api", WorkflowRun{Workflow: "deploy.yml", Conclusion: "success"}))
	must1[int64](t)(f.AddRelease("acme/api", Release{TagName: "v1", Author: "alice"}))
	cases := []struct {
		fixture string
		path    string
		field   string // a nested list to compare instead of the document
		needs   []string
	}{
		{"pulls.list.json", "/repos/acme/api/pulls?state=all", "", []string{"number", "title", "user", "labels", "head", "base", "merged_at", "merge_commit_sha", "updated_at", "html_url"}},
		{"pulls.get.json", "/repos/acme/api/pulls/" + strconv.Itoa(n), "", []string{"merged", "merged_at", "merge_commit_sha"}},
		{"commits.pulls.list-associated.json", "/repos/acme/api/commits/" + sha + "/pulls", "", []string{"number", "merged_at", "merge_commit_sha"}},
		{"deployments.list.json", "/repos/acme/api/deployments", "", []string{"id", "sha", "environment", "creator", "created_at"}},
		{"deployment-statuses.list.json", "/repos/acme/api/deployments/" + strconv.FormatInt(dep, 10) + "/statuses", "", []string{"id", "state", "created_at", "log_url"}},
		{"compare.basehead.json", "", "", []string{"status", "total_commits", "commits"}},
		{"commits.list.json", "/repos/acme/api/commits", "", []string{"sha", "commit", "parents"}},
		{"actions.runs.list.json", "/repos/acme/api/actions/runs", "workflow_runs", []string{"id", "head_branch", "head_sha", "status", "conclusion", "updated_at", "run_attempt"}},
		{"releases.latest.json", "/repos/acme/api/releases", "", []string{"id", "tag_name", "draft", "published_at", "author"}},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, tc.fixture))
			must(t, err)
			want := firstObject(t, raw, tc.field)
			path := tc.path
			if tc.fixture == "compare.basehead.json" {
				base := must1[string](t)(f.BranchHead("acme/api", "pr-1"))
				path = "/repos/acme/api/compare/" + base + "...main" // the PR branch tip to main
			}
			got := firstObject(t, get(t, srv, path).body, tc.field)
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("fake sends %q, which GitHub's answer does not have", k)
				}
			}
			for _, k := range tc.needs {
				_, inFake := got[k]
				_, inReal := want[k]
				if !inFake || !inReal {
					t.Errorf("field %q: in fake %v, in recorded answer %v", k, inFake, inReal)
				}
			}
		})
	}
}

// firstObject returns the document, its first element when it is a list, or
// the first element of its field list.
func firstObject(t *testing.T, raw []byte, field string) map[string]any {
	t.Helper()
	var v any
	must(t, json.Unmarshal(raw, &v))
	if field != "" {
		v = v.(map[string]any)[field]
	}
	if l, ok := v.([]any); ok {
		if len(l) == 0 {
			t.Fatalf("empty list in %s", raw)
		}
		v = l[0]
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not an object: %s", raw)
	}
	return m
}
