package gitlab

import (
	"bytes"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/gitlabfake"
	"github.com/goalpost/goalpost/pipeline/event"
)

func mergePayload(project string, iid int64, action string) []byte {
	return fmt.Appendf(nil, `{"object_kind":"merge_request","user":{"id":9,"username":"bob"},
		"project":{"path_with_namespace":%q,"default_branch":"main"},
		"object_attributes":{"iid":%d,"title":"AUTH-7 faster login","action":%q,"state":"merged","author_id":1,
		"created_at":"2026-07-01 08:00:00 UTC","updated_at":"2026-07-01 09:00:00 UTC","source_branch":"feature",
		"target_branch":"main","merge_commit_sha":"","url":"https://gitlab.example/mr"},"labels":[{"title":"perf"}]}`,
		project, iid, action)
}

func deploymentPayload(project, status, env string) []byte {
	return fmt.Appendf(nil, `{"object_kind":"deployment","status":%q,"status_changed_at":"2026-07-01 09:30:00 +0000",
		"deployment_id":77,"environment":%q,"short_sha":"846d8de0",
		"commit_url":"https://gitlab.example/%s/-/commit/846d8de0b7b3d694954249d2fd5d87fbe8c84e4c",
		"project":{"path_with_namespace":%q},"user":{"username":"deployer"}}`, status, env, project, project)
}

func TestWebhook(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		token      string
		kind       string
		body       []byte
		failPub    bool
		wantStatus int
		wantKinds  []string
	}{
		{"missing token", "POST", "", "Deployment Hook", deploymentPayload(testProject, "failed", "production"), false, 401, nil},
		{"forged token", "POST", "guess", "Deployment Hook", deploymentPayload(testProject, "failed", "production"), false, 401, nil},
		{"not POST", "GET", testSecret, "", nil, false, 405, nil},
		{"not JSON", "POST", testSecret, "Merge Request Hook", []byte("{"), false, 400, nil},
		{"wrong shape", "POST", testSecret, "Merge Request Hook", []byte(`{"object_attributes":"x"}`), false, 400, nil},
		{"bad time", "POST", testSecret, "Deployment Hook", bytes.Replace(deploymentPayload(testProject, "failed", "production"),
			[]byte("2026-07-01 09:30:00 +0000"), []byte("yesterday"), 1), false, 400, nil},
		{"unknown hook", "POST", testSecret, "Note Hook", []byte(`{"object_kind":"note"}`), false, 200, nil},
		{"failed deploy", "POST", testSecret, "Deployment Hook", deploymentPayload(testProject, "failed", "production"), false, 200,
			[]string{event.KindDeploymentFailed}},
		{"running deploy", "POST", testSecret, "Deployment Hook", deploymentPayload(testProject, "running", "production"), false, 200, nil},
		{"staging deploy", "POST", testSecret, "Deployment Hook", deploymentPayload(testProject, "failed", "staging"), false, 200, nil},
		{"project not selected", "POST", testSecret, "Deployment Hook", deploymentPayload("other/repo", "failed", "production"), false, 200, nil},
		{"store down", "POST", testSecret, "Deployment Hook", deploymentPayload(testProject, "failed", "production"), true, 503, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if tt.failPub {
				e.pub.fail = errors.New("jetstream down")
			}
			req := httptest.NewRequest(tt.method, "/webhooks/gitlab", bytes.NewReader(tt.body))
			if tt.token != "" {
				req.Header.Set("X-Gitlab-Token", tt.token)
			}
			req.Header.Set("X-Gitlab-Event", tt.kind)
			rec := httptest.NewRecorder()
			e.hook.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tt.wantStatus, rec.Body)
			}
			var got []string
			for _, ev := range e.pub.events {
				got = append(got, ev.Kind)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantKinds, ",") {
				t.Fatalf("events %v, want %v", got, tt.wantKinds)
			}
			if strings.Contains(rec.Body.String(), testSecret) {
				t.Fatal("the answer shows the secret")
			}
		})
	}
}

// TestWebhookMerge: a merge delivery is completed from the API (the author
// when someone else merged, merged_at) and deduplicated by Idempotency-Key.
func TestWebhookMerge(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.AddMR(testProject, gitlabfake.MR{IID: 5, Title: "AUTH-7 faster login", Author: "alice", State: "merged",
		TargetBranch: "main", SourceBranch: "feature", CreatedAt: t0.Add(-2 * 60e9), MergedAt: t0, MergeSHA: e.head})
	if code := e.deliver("Merge Request Hook", "key-1", mergePayload(testProject, 5, "merge")); code != 200 {
		t.Fatalf("status %d", code)
	}
	merged := e.pub.kind(event.KindPullRequestMerged)
	if len(merged) != 1 || merged[0].ActorHandle != "alice" || !merged[0].OccurredAt.Equal(t0) ||
		merged[0].ID != "gitlab:mr:"+testProject+"!5:merged" || merged[0].Links[0] != "AUTH-7" {
		t.Fatalf("merged %+v", merged)
	}
	n := e.fake.Requests()
	if code := e.deliver("Merge Request Hook", "key-1", mergePayload(testProject, 5, "merge")); code != 200 || e.fake.Requests() != n {
		t.Fatalf("a resent delivery answered %d after %d requests", code, e.fake.Requests()-n)
	}
	// Unknown to the API: left to the poller, still acknowledged.
	if code := e.deliver("Merge Request Hook", "key-2", mergePayload(testProject, 6, "merge")); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(e.pub.kind(event.KindPullRequestMerged)) != 1 {
		t.Fatal("a merge the API does not know was published")
	}
}

// TestPipelineDeployJob: with deploy_job set, the job's finished run on the
// default branch is a deploy.
func TestPipelineDeployJob(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Projects[0].DeployJob = "deploy-prod" })
	body := fmt.Appendf(nil, `{"object_kind":"pipeline","project":{"path_with_namespace":%q,"default_branch":"main"},
		"object_attributes":{"id":3,"ref":"main","sha":%q,"status":"failed"},
		"builds":[{"id":41,"name":"deploy-prod","status":"failed","finished_at":"2026-07-01 09:40:00 UTC","user":{"username":"ci"}},
		{"id":42,"name":"test","status":"success","finished_at":"2026-07-01 09:41:00 UTC"}]}`, testProject, e.head)
	if code := e.deliver("Pipeline Hook", "", body); code != 200 {
		t.Fatalf("status %d", code)
	}
	got := e.pub.kind(event.KindDeploymentFailed)
	if len(got) != 1 || got[0].Attrs["job_id"] != "41" || got[0].Environment != "production" {
		t.Fatalf("deploys %+v", got)
	}
}

// FuzzTranslate: no payload panics the parser, and every failure is a bad
// payload (400), never something the sender should retry.
func FuzzTranslate(f *testing.F) {
	f.Add("Merge Request Hook", mergePayload(testProject, 1, "merge"))
	f.Add("Merge Request Hook", mergePayload(testProject, 1, "close"))
	f.Add("Deployment Hook", deploymentPayload(testProject, "success", "production"))
	f.Add("Pipeline Hook", []byte(`{"object_kind":"pipeline","builds":[{"name":"d","status":"success","finished_at":"x"}]}`))
	f.Add("", []byte(`{"object_kind":"deployment","status":"failed"}`))
	f.Add("Push Hook", []byte(`[]`))
	cfg := &Config{Projects: []ProjectConfig{{Path: testProject, DeployJob: "d"}}, ProductionEnvironments: []string{"*"}}
	f.Fuzz(func(t *testing.T, kind string, payload []byte) {
		res, err := translate(cfg, kind, payload)
		if err != nil && !errors.Is(err, errBadPayload) {
			t.Fatalf("error %v is not a bad payload", err)
		}
		for _, ev := range res.events {
			if err := ev.Validate(); err != nil {
				t.Fatalf("invalid event: %v", err)
			}
		}
		for _, d := range res.deploys {
			if err := d.Event().Validate(); err != nil {
				t.Fatalf("invalid deploy: %v", err)
			}
		}
	})
}

// A successful deployment the webhook reports before any poll has read the
// project's deployments is left to that poll (ADR 46): the poll reads the
// deployments oldest first, so each merge request ships with the deploy
// that included it, not all of them with the newest.
func TestWebhookDeployBeforeFirstPoll(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Since = t0.Add(-24 * time.Hour).Format(time.DateOnly) })
	old := e.merge("old", false)
	e.deploy(1, e.head, "success")
	recent := e.merge("recent", true)
	e.deploy(2, e.head, "success")
	payload := fmt.Appendf(nil, `{"object_kind":"deployment","status":"success","status_changed_at":%q,
		"deployment_id":2,"environment":"production","short_sha":%q,
		"commit_url":"https://gitlab.example/%s/-/commit/%s",
		"project":{"path_with_namespace":%q},"user":{"username":"deployer"}}`,
		e.now.UTC().Format("2006-01-02 15:04:05 -0700"), e.head[:8], testProject, e.head, testProject)
	if code := e.deliver("Deployment Hook", "d-2", payload); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	if n := len(e.pub.kind(event.KindDeploymentSucceeded)); n != 0 {
		t.Fatalf("the webhook published %d deploys before the first poll", n)
	}
	e.poll()
	if got := e.shippedBy(1); !slices.Equal(got, []int{int(old)}) {
		t.Errorf("first deploy shipped %v, want [%d]", got, old)
	}
	if got := e.shippedBy(2); !slices.Equal(got, []int{int(recent)}) {
		t.Errorf("second deploy shipped %v, want [%d]", got, recent)
	}
	e.merge("later", false)
	e.deploy(3, e.head, "success")
	payload = bytes.ReplaceAll(payload, []byte(`"deployment_id":2`), []byte(`"deployment_id":3`))
	if code := e.deliver("Deployment Hook", "d-3", payload); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	if n := len(e.pub.kind(event.KindDeploymentSucceeded)); n != 3 {
		t.Errorf("after the first poll the webhook attributes deploys itself: %d deploys published, want 3", n)
	}
}
