package attribution

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// fakeHost is a repository as a commit graph: commits by sha with parents,
// and the changes each commit belongs to. It counts Changes calls.
type fakeHost struct {
	order   []string            // commits, oldest first
	parents map[string][]string // sha → parents
	changes map[string][]Change // sha → changes containing it
	calls   int                 // Changes calls
	// deploys are the host's record of successful deploys (sha, finish
	// time), oldest first, which LastDeploy reads.
	deploys []Deploy
}

func newFakeHost() *fakeHost {
	return &fakeHost{parents: map[string][]string{}, changes: map[string][]Change{}}
}

// commit adds a commit on top of parents.
func (h *fakeHost) commit(sha string, parents ...string) {
	h.order = append(h.order, sha)
	h.parents[sha] = parents
}

// merge adds PR n: a branch commit off base, merged into main by a merge
// commit m<n>; it returns the merge commit.
func (h *fakeHost) merge(n int, base string, at time.Time) string {
	branch, merge := fmt.Sprintf("b%d", n), fmt.Sprintf("m%d", n)
	h.commit(branch, base)
	h.commit(merge, base, branch)
	c := Change{Source: "github", Repo: "acme/api", Number: int64(n), Unit: fmt.Sprintf("acme/api#%d", n),
		Title: fmt.Sprintf("PR %d", n), Author: "alice", MergedAt: at, MergeSHA: merge}
	h.changes[merge] = []Change{c}
	h.changes[branch] = []Change{c}
	return merge
}

func (h *fakeHost) reachable(head string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{head}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !seen[s] {
			seen[s] = true
			stack = append(stack, h.parents[s]...)
		}
	}
	return seen
}

func (h *fakeHost) Compare(_ context.Context, _, base, head string) ([]Commit, error) {
	if _, ok := h.parents[base]; !ok {
		return nil, fmt.Errorf("compare: %w", ErrNotFound)
	}
	if _, ok := h.parents[head]; !ok {
		return nil, fmt.Errorf("compare: %w", ErrNotFound)
	}
	in, out := h.reachable(head), h.reachable(base)
	var cs []Commit
	for _, sha := range h.order {
		if in[sha] && !out[sha] {
			cs = append(cs, Commit{SHA: sha, Parents: h.parents[sha]})
		}
	}
	return cs, nil
}

func (h *fakeHost) CommitsSince(_ context.Context, _, head string, _ time.Time) ([]Commit, error) {
	in := h.reachable(head)
	var cs []Commit
	for _, sha := range h.order {
		if in[sha] {
			cs = append(cs, Commit{SHA: sha, Parents: h.parents[sha]})
		}
	}
	return cs, nil
}

func (h *fakeHost) LastDeploy(_ context.Context, d Deploy, before time.Time) (string, error) {
	for _, p := range slices.Backward(h.deploys) {
		if p.Environment == d.Environment && p.At.Before(before) {
			return p.SHA, nil
		}
	}
	return "", nil
}

func (h *fakeHost) HasCommit(_ context.Context, _, sha string) (bool, error) {
	_, ok := h.parents[sha]
	return ok, nil
}

func (h *fakeHost) Changes(_ context.Context, _, sha string) ([]Change, error) {
	h.calls++
	return h.changes[sha], nil
}

func (h *fakeHost) Merged(context.Context, string, time.Time) ([]Change, error) { return nil, nil }

type memStore struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memStore) Cursor(_ context.Context, source, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[source+"/"+key], nil
}

func (s *memStore) SetCursor(_ context.Context, source, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[source+"/"+key] = value
	return nil
}

type memPub struct {
	events []event.Event
	fail   error
}

func (p *memPub) Publish(_ context.Context, evs ...event.Event) error {
	if p.fail != nil {
		return p.fail
	}
	for _, ev := range evs {
		if err := ev.Validate(); err != nil {
			return err
		}
	}
	p.events = append(p.events, evs...)
	return nil
}

// deployed returns the deploy event with key, and the PR numbers it shipped.
func (p *memPub) deployed(t *testing.T, key string) (event.Event, []int) {
	t.Helper()
	for _, ev := range slices.Backward(p.events) {
		if ev.Kind == event.KindDeploymentSucceeded && ev.Attrs["deploy"] == key {
			var prs []int
			for _, s := range ev.Shipped {
				prs = append(prs, s.Number)
			}
			return ev, prs
		}
	}
	t.Fatalf("no deployment.succeeded for %s", key)
	return event.Event{}, nil
}

var t0 = time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)

type rig struct {
	host  *fakeHost
	pub   *memPub
	store *memStore
	att   *Attributor
}

func newRig(cfg Config) *rig {
	r := &rig{host: newFakeHost(), pub: &memPub{}, store: &memStore{m: map[string]string{}}}
	cfg.Source = "github"
	r.att = New(r.host, r.store, r.pub, cfg)
	r.host.commit("root")
	return r
}

func (r *rig) deploy(key, sha string, at time.Time) Deploy {
	return Deploy{Source: "github", Key: key, Repo: "acme/api", Environment: "production", SHA: sha, Succeeded: true, At: at, Actor: "deployer"}
}

func TestAttribution(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		run   func(t *testing.T, r *rig) string // returns the deploy key to check
		want  []int
		how   string
		calls int // Changes calls
	}{
		{name: "first deploy ships nothing", how: "first_deploy", run: func(t *testing.T, r *rig) string {
			r.host.merge(1, "root", t0)
			must(t, r.att.PublishSince(t.Context(), r.deploy("d1", "m1", t0), time.Time{}))
			return "d1"
		}},
		{name: "first deploy with since ships what merged since", how: "since", want: []int{2}, calls: 3, // m2, m1 (merged before since), root
			run: func(t *testing.T, r *rig) string {
				m1 := r.host.merge(1, "root", t0.Add(-48*time.Hour))
				r.host.merge(2, m1, t0)
				must(t, r.att.PublishSince(t.Context(), r.deploy("d1", "m2", t0.Add(time.Hour)), t0.Add(-time.Hour)))
				return "d1"
			}},
		{name: "first deploy after since compares with the last deploy before since", how: "since_deploy", want: []int{1, 2}, calls: 2,
			run: func(t *testing.T, r *rig) string {
				since := t0.Add(-time.Hour)
				r.host.deploys = []Deploy{r.deploy("d0", "root", since.Add(-72*time.Hour))}
				m1 := r.host.merge(1, "root", since.Add(-60*time.Hour)) // Friday, shipped Monday
				r.host.merge(2, m1, t0)
				must(t, r.att.PublishSince(t.Context(), r.deploy("d1", "m2", t0.Add(time.Hour)), since))
				return "d1"
			}},
		{name: "a last deploy before since of the same sha is a redeploy", how: "redeploy",
			run: func(t *testing.T, r *rig) string {
				r.host.merge(1, "root", t0.Add(-48*time.Hour))
				r.host.deploys = []Deploy{r.deploy("d0", "m1", t0.Add(-24*time.Hour))}
				must(t, r.att.PublishSince(t.Context(), r.deploy("d1", "m1", t0.Add(time.Hour)), t0))
				return "d1"
			}},
		{name: "a last deploy before since the host lost falls back to the commits since", how: "since", want: []int{2}, calls: 3,
			run: func(t *testing.T, r *rig) string {
				r.host.deploys = []Deploy{r.deploy("d0", "gone", t0.Add(-72*time.Hour))}
				m1 := r.host.merge(1, "root", t0.Add(-48*time.Hour))
				r.host.merge(2, m1, t0)
				must(t, r.att.PublishSince(t.Context(), r.deploy("d1", "m2", t0.Add(time.Hour)), t0.Add(-time.Hour)))
				return "d1"
			}},
		{name: "range between two deploys, branch commits covered by their merge", how: "compare", want: []int{1, 2}, calls: 2,
			run: func(t *testing.T, r *rig) string {
				must(t, r.att.PublishSince(t.Context(), r.deploy("d1", "root", t0), time.Time{}))
				m1 := r.host.merge(1, "root", t0.Add(time.Hour))
				r.host.merge(2, m1, t0.Add(2*time.Hour))
				must(t, r.att.PublishSince(t.Context(), r.deploy("d2", "m2", t0.Add(3*time.Hour)), time.Time{}))
				return "d2"
			}},
		{name: "remembered changes cost no look-up", how: "compare", want: []int{1}, calls: 0,
			run: func(t *testing.T, r *rig) string {
				must(t, r.att.PublishSince(t.Context(), r.deploy("d1", "root", t0), time.Time{}))
				r.host.merge(1, "root", t0.Add(time.Hour))
				r.att.Remember(r.host.changes["m1"][0])
				must(t, r.att.PublishSince(t.Context(), r.deploy("d2", "m1", t0.Add(2*time.Hour)), time.Time{}))
				return "d2"
			}},
		{name: "a deploy finishing before the last one is out of order", how: "out_of_order",
			run: func(t *testing.T, r *rig) string {
				must(t, r.att.PublishSince(t.Context(), r.deploy("d1", "root", t0), time.Time{}))
				r.host.merge(1, "root", t0.Add(time.Hour))
				must(t, r.att.PublishSince(t.Context(), r.deploy("d2", "m1", t0.Add(-time.Hour)), time.Time{}))
				return "d2"
			}},
		{name: "the same sha again is a redeploy", how: "redeploy",
			run: func(t *testing.T, r *rig) string {
				must(t, r.att.PublishSince(t.Context(), r.deploy("d1", "root", t0), time.Time{}))
				must(t, r.att.PublishSince(t.Context(), r.deploy("d2", "root", t0.Add(time.Hour)), time.Time{}))
				return "d2"
			}},
		{name: "an unknown deployed sha does not become the next base", how: "compare", want: []int{1}, calls: 1,
			run: func(t *testing.T, r *rig) string {
				must(t, r.att.PublishSince(t.Context(), r.deploy("d1", "root", t0), time.Time{}))
				must(t, r.att.PublishSince(t.Context(), r.deploy("bad", "f00d", t0.Add(time.Hour)), time.Time{}))
				if ev, _ := r.pub.deployed(t, "bad"); ev.Attrs["attribution"] != "unknown_sha" {
					t.Errorf("bad sha: %v", ev.Attrs)
				}
				r.host.merge(1, "root", t0.Add(2*time.Hour))
				must(t, r.att.PublishSince(t.Context(), r.deploy("d3", "m1", t0.Add(3*time.Hour)), time.Time{}))
				return "d3"
			}},
		{name: "a base the host lost is unresolvable", how: "unresolvable",
			run: func(t *testing.T, r *rig) string {
				must(t, r.store.SetCursor(t.Context(), "github", "deploy:acme/api:production", `{"sha":"gone","at":"2026-11-01T00:00:00Z"}`))
				r.host.merge(1, "root", t0)
				must(t, r.att.PublishSince(t.Context(), r.deploy("d1", "m1", t0), time.Time{}))
				return "d1"
			}},
		{name: "ship on merge", how: "ship_on_merge", cfg: Config{ShipOnMerge: func(string) bool { return true }},
			run: func(t *testing.T, r *rig) string {
				r.host.merge(1, "root", t0)
				must(t, r.att.PublishSince(t.Context(), r.deploy("d1", "m1", t0), t0.Add(-time.Hour)))
				return "d1"
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(tc.cfg)
			key := tc.run(t, r)
			ev, got := r.pub.deployed(t, key)
			if !slices.Equal(got, tc.want) || ev.Attrs["attribution"] != tc.how {
				t.Errorf("shipped %v by %q, want %v by %q", got, ev.Attrs["attribution"], tc.want, tc.how)
			}
			if r.host.calls != tc.calls {
				t.Errorf("%d Changes calls, want %d", r.host.calls, tc.calls)
			}
			if ev.Numbers["shipped_count"] != float64(len(tc.want)) {
				t.Errorf("shipped_count = %v", ev.Numbers["shipped_count"])
			}
		})
	}
}

// A deploy is published once, however often it is reported, and its state
// is recorded only after its events were stored.
func TestAttributionPublishesOnce(t *testing.T) {
	r := newRig(Config{})
	ctx := t.Context()
	must(t, r.att.PublishSince(ctx, r.deploy("d1", "root", t0), time.Time{}))
	r.host.merge(1, "root", t0.Add(time.Hour))
	d2 := r.deploy("d2", "m1", t0.Add(2*time.Hour))
	r.pub.fail = errors.New("stream down")
	if err := r.att.PublishSince(ctx, d2, time.Time{}); err == nil {
		t.Fatal("a failed publish reported success")
	}
	if st, _ := r.store.Cursor(ctx, "github", "deploy:acme/api:production"); !strings.Contains(st, `"sha":"root"`) {
		t.Fatalf("state moved although nothing was stored: %s", st)
	}
	r.pub.fail = nil
	for range 2 {
		must(t, r.att.PublishSince(ctx, d2, time.Time{}))
	}
	shipped := 0
	for _, ev := range r.pub.events {
		if ev.Kind == event.KindChangeShipped {
			shipped++
			if ev.ID != "github:shipped:acme/api#1" || ev.Attrs["deploy"] != "d2" || ev.Numbers["lead_time_seconds"] != 3600 {
				t.Errorf("change.shipped %+v", ev)
			}
		}
	}
	if shipped != 1 {
		t.Errorf("%d change.shipped events, want 1", shipped)
	}
}

// Publish (a deploy document) puts the repository in the host's spelling
// and reads a first deploy's history from Config.Since.
func TestPublishFromOutside(t *testing.T) {
	r := newRig(Config{Since: t0.Add(-time.Hour), RepoName: func(_ context.Context, repo string) string { return "acme/api" }})
	r.host.merge(1, "root", t0)
	d := r.deploy("ci-1", "m1", t0.Add(time.Hour))
	d.Source, d.Repo = event.SourceDeploy, "ACME/API"
	must(t, r.att.Publish(t.Context(), d))
	ev, got := r.pub.deployed(t, "ci-1")
	if ev.ID != "deploy:acme/api:production:ci-1:succeeded" || !slices.Equal(got, []int{1}) || ev.Attrs["attribution"] != "since" {
		t.Errorf("%s shipped %v (%s)", ev.ID, got, ev.Attrs["attribution"])
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestShippedAtSetting: the same deploy (created at 10:00, succeeded at
// 10:30) of a PR merged at 9:00 under each shipped_at definition; a deploy
// whose source gives no creation time ships at its success either way.
func TestShippedAtSetting(t *testing.T) {
	for _, tc := range []struct {
		name, setting string
		created       time.Time
		wantAt        time.Time
		wantLead      float64
	}{
		{"unset is deploy_finished", "", t0.Add(time.Hour), t0.Add(90 * time.Minute), 5400},
		{"deploy_finished", ShippedAtFinished, t0.Add(time.Hour), t0.Add(90 * time.Minute), 5400},
		{"deploy_created", ShippedAtCreated, t0.Add(time.Hour), t0.Add(time.Hour), 3600},
		{"deploy_created without a creation time", ShippedAtCreated, time.Time{}, t0.Add(90 * time.Minute), 5400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(Config{ShippedAt: tc.setting})
			must(t, r.att.PublishSince(t.Context(), r.deploy("d1", "root", t0.Add(-time.Hour)), time.Time{}))
			r.host.merge(1, "root", t0)
			d := r.deploy("d2", "m1", t0.Add(90*time.Minute))
			d.CreatedAt = tc.created
			must(t, r.att.PublishSince(t.Context(), d, time.Time{}))
			dep, _ := r.pub.deployed(t, "d2")
			if !dep.OccurredAt.Equal(t0.Add(90*time.Minute)) || dep.Shipped[0].LeadTimeSeconds != tc.wantLead {
				t.Errorf("deployment.succeeded at %s listing lead time %v; want the deploy's success, %v", dep.OccurredAt, dep.Shipped[0].LeadTimeSeconds, tc.wantLead)
			}
			ev := r.pub.events[len(r.pub.events)-1]
			if ev.Kind != event.KindChangeShipped || !ev.OccurredAt.Equal(tc.wantAt) || ev.Numbers["lead_time_seconds"] != tc.wantLead {
				t.Errorf("%s at %s, lead time %v; want %s, %v", ev.Kind, ev.OccurredAt, ev.Numbers["lead_time_seconds"], tc.wantAt, tc.wantLead)
			}
		})
	}
}
