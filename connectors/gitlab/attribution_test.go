package gitlab

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/pipeline/event"
)

// TestAttribution: which merge requests each successful production
// deployment shipped, the GitHub connector's cases on GitLab.
func TestAttribution(t *testing.T) {
	tests := []struct {
		name  string
		since string
		limit int
		run   func(e *env) map[int64][]int // deployment id → want shipped iids
	}{
		{"batched deploys ship every merge since the last", "", 0, func(e *env) map[int64][]int {
			e.deploy(1, e.head, "success")
			e.merge("one", false)
			e.merge("two", false)
			e.deploy(2, e.head, "success")
			e.merge("three", false)
			e.deploy(3, e.head, "success")
			return map[int64][]int{1: nil, 2: {1, 2}, 3: {3}}
		}},
		{"a failed deploy between two successes ships nothing", "", 0, func(e *env) map[int64][]int {
			e.deploy(1, e.head, "success")
			e.merge("one", false)
			e.deploy(2, e.head, "failed")
			e.merge("two", false)
			e.deploy(3, e.head, "success")
			return map[int64][]int{1: nil, 3: {1, 2}}
		}},
		{"a redeploy of the same sha ships nothing", "", 0, func(e *env) map[int64][]int {
			e.deploy(1, e.head, "success")
			e.merge("one", false)
			e.deploy(2, e.head, "success")
			e.deploy(3, e.head, "success")
			return map[int64][]int{2: {1}, 3: nil}
		}},
		{"squash and merge commits", "", 0, func(e *env) map[int64][]int {
			e.deploy(1, e.head, "success")
			e.merge("squashed", true)
			e.merge("merged", false)
			e.deploy(2, e.head, "success")
			return map[int64][]int{2: {1, 2}}
		}},
		{"the first deploy after since ships what merged since", "2026-07-01", 0, func(e *env) map[int64][]int {
			e.merge("one", false)
			e.merge("two", true)
			e.deploy(1, e.head, "success")
			return map[int64][]int{1: {1, 2}}
		}},
		{"a range over the compare limit is listed page by page", "", 2, func(e *env) map[int64][]int {
			e.deploy(1, e.head, "success")
			for range 3 {
				e.merge("change", false)
			}
			e.deploy(2, e.head, "success")
			return map[int64][]int{2: {1, 2, 3}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Since = tt.since })
			if tt.limit > 0 {
				e.fake.SetCompareLimit(tt.limit)
			}
			want := tt.run(e)
			e.poll()
			for id, iids := range want {
				if got := e.shippedBy(id); !slices.Equal(got, iids) {
					t.Errorf("deployment %d shipped %v, want %v", id, got, iids)
				}
			}
			shipped := e.pub.kind(event.KindChangeShipped)
			for _, ev := range shipped {
				if ev.Source != event.SourceGitLab || ev.Repo != testProject || ev.Numbers["lead_time_seconds"] <= 0 {
					t.Errorf("change.shipped %+v", ev)
				}
			}
		})
	}
}

// TestAttributionWithoutIndex: a deploy reported by webhook whose merge
// requests no poll has read (the poll has read the deployments only)
// resolves its commits through "merge requests of a commit".
func TestAttributionWithoutIndex(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	must(t, e.store.SetCursor(ctx, event.SourceGitLab, "deployments:"+testProject, e.now.Format(time.RFC3339Nano)))
	base := attribution.Deploy{Source: event.SourceGitLab, Key: "1", Repo: testProject, Environment: "production", SHA: e.head, Succeeded: true, At: e.now}
	must(t, e.src.attribute(ctx, base))
	e.merge("one", true)
	e.merge("two", false)
	d := attribution.Deploy{Source: event.SourceGitLab, Key: "2", Repo: testProject, Environment: "production", SHA: e.head, Succeeded: true, At: e.now,
		Attrs: map[string]string{"deployment_id": "2"}}
	must(t, e.src.attribute(ctx, d))
	if got := e.shippedBy(2); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("shipped %v", got)
	}
	n := e.fake.Requests()
	must(t, e.src.attribute(ctx, d)) // reported again: nothing more
	if e.fake.Requests() != n || len(e.pub.kind(event.KindChangeShipped)) != 2 {
		t.Fatalf("a second report cost %d requests", e.fake.Requests()-n)
	}
}

// TestAttributionFirstDeployAfterSince: merge requests merged on the Friday
// before since and deployed on the Monday of it are shipped by that Monday
// deployment, compared with Thursday's (the last successful production
// deployment before since, looked up through the deployments API; Friday's
// failed one is no base), with their lead time from Friday's merge.
func TestAttributionFirstDeployAfterSince(t *testing.T) {
	monday := time.Date(2026, 7, 6, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, func(c *Config) { c.Since = monday.Format(time.DateOnly) })
	e.now = monday.Add(-4*24*time.Hour + 15*time.Hour) // Thursday 15:00
	e.merge("thursday", false)
	e.deploy(1, e.head, "success")
	e.now = e.now.Add(24 * time.Hour) // Friday
	friday1, friday2 := e.merge("friday one", false), e.merge("friday two", true)
	e.deploy(2, e.head, "failed")
	e.now = monday.Add(9 * time.Hour)
	mondayMR := e.merge("monday", false)
	e.deploy(3, e.head, "success")
	e.poll()

	if got, want := e.shippedBy(3), []int{int(friday1), int(friday2), int(mondayMR)}; !slices.Equal(got, want) {
		t.Fatalf("the first deployment after since shipped %v, want %v", got, want)
	}
	for _, ev := range e.pub.kind(event.KindChangeShipped) {
		lead := ev.Numbers["lead_time_seconds"]
		if friday := ev.Attrs["number"] != fmt.Sprint(mondayMR); friday && lead < 2.5*24*3600 || ev.OccurredAt.Before(monday) {
			t.Errorf("%s shipped at %s with lead time %.0fs", ev.Unit, ev.OccurredAt, lead)
		}
	}
	for _, ev := range e.pub.kind(event.KindDeploymentSucceeded) {
		if ev.Attrs["deployment_id"] == "3" && ev.Attrs["attribution"] != "since_deploy" {
			t.Errorf("attribution %q, want since_deploy", ev.Attrs["attribution"])
		}
	}
}
