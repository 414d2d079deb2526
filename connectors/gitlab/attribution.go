package gitlab

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

const (
	// maxRangePages bounds one range listing (100 commits per page).
	maxRangePages = 100
	// defaultCompareLimit is the commit count at which a compare answer is
	// not trusted to be whole: the range is listed page by page instead.
	defaultCompareLimit = 1000
	// doneMax is how many published deploy ids a project/environment
	// remembers, so a deploy reported twice is published once.
	doneMax = 64
)

// attributor decides which merge requests each successful production
// deploy shipped: those whose landed commits (merge, squash or
// fast-forwarded head) lie between the previous successful deploy of the
// same project and environment and this one. Its state per project and
// environment lives in the cursor store under "deploy:PROJECT:ENV", written
// only after the deploy's events were published; deploys of one
// project/environment are attributed one at a time (poller and webhook
// share it).
type attributor struct {
	api          *gl.Client
	cursors      connector.CursorStore
	pub          connector.Publisher
	index        *mrIndex
	cfg          *Config
	log          *slog.Logger
	compareLimit int

	mu    sync.Mutex
	locks map[string]chan struct{}
}

// deployState is the attribution state of one project and environment.
type deployState struct {
	SHA  string    `json:"sha"`
	At   time.Time `json:"at"`
	Key  string    `json:"key"`
	Done []string  `json:"done,omitempty"`
}

func newAttributor(api *gl.Client, cfg *Config, cursors connector.CursorStore, pub connector.Publisher, log *slog.Logger) *attributor {
	return &attributor{api: api, cursors: cursors, pub: pub, index: newMRIndex(), cfg: cfg, log: log,
		compareLimit: defaultCompareLimit, locks: map[string]chan struct{}{}}
}

// lock serializes attribution of one project/environment; it gives up when
// ctx ends.
func (a *attributor) lock(ctx context.Context, key string) (unlock func(), err error) {
	a.mu.Lock()
	sem, ok := a.locks[key]
	if !ok {
		sem = make(chan struct{}, 1)
		a.locks[key] = sem
	}
	a.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("attribute %s: %w", key, ctx.Err())
	}
}

// publish publishes one finished production deploy: deployment.failed, or
// deployment.succeeded with one change.shipped per merge request it
// shipped. since is the history start for a first deploy (zero: a first
// deploy ships nothing). A deploy already published is not published
// again; nothing is recorded unless Publish succeeded.
func (a *attributor) publish(ctx context.Context, d deploy, since time.Time) error {
	if !d.Succeeded {
		if err := a.pub.Publish(ctx, d.event(nil)); err != nil {
			return fmt.Errorf("publish deploy %s: %w", d.eventID(), err)
		}
		return nil
	}
	key := "deploy:" + d.Project + ":" + d.Environment
	unlock, err := a.lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := a.load(ctx, key)
	if err != nil || slices.Contains(st.Done, d.eventID()) {
		return err
	}
	shipped, how, err := a.shipped(ctx, d, st, since)
	if err != nil {
		return fmt.Errorf("attribute deploy %s: %w", d.eventID(), err)
	}
	dev := d.event(shipped)
	dev.Attrs["attribution"] = how
	if st.SHA != "" {
		dev.Attrs["previous_sha"] = st.SHA
	}
	evs := []event.Event{dev}
	for _, m := range shipped {
		evs = append(evs, m.shipped(d.Environment, d.At, d.Key))
	}
	if err := a.pub.Publish(ctx, evs...); err != nil {
		return fmt.Errorf("publish deploy %s: %w", d.eventID(), err)
	}
	if how != "unknown_sha" && (st.SHA == "" || !d.At.Before(st.At)) {
		st.SHA, st.At, st.Key = d.SHA, d.At, d.Key
	}
	st.Done = append(st.Done, d.eventID())
	if len(st.Done) > doneMax {
		st.Done = st.Done[len(st.Done)-doneMax:]
	}
	return a.save(ctx, key, st)
}

// shipped lists the merge requests d shipped and says how they were found.
func (a *attributor) shipped(ctx context.Context, d deploy, st deployState, since time.Time) ([]mrInfo, string, error) {
	var commits []*gl.Commit
	var err error
	how := "compare"
	switch {
	case a.cfg.settingsFor(d.Project).ShipOnMerge:
		return nil, "ship_on_merge", nil
	case st.SHA == "" && since.IsZero():
		return nil, "first_deploy", nil
	case st.SHA == "":
		how = "since"
		commits, err = a.commitsSince(ctx, d.Project, d.SHA, since)
	case d.At.Before(st.At):
		return nil, "out_of_order", nil
	case st.SHA == d.SHA:
		return nil, "redeploy", nil
	default:
		commits, err = a.compare(ctx, d.Project, st.SHA, d.SHA)
	}
	if isGone(err) {
		a.log.Warn("cannot attribute deploy: commits not found", "project", d.Project, "deploy", d.Key, "err", err)
		// A deployed commit GitLab does not have must not become the next
		// deploy's base: its range would be lost.
		if gone, err := a.missing(ctx, d.Project, d.SHA); err != nil || gone {
			return nil, "unknown_sha", err
		}
		return nil, "unresolvable", nil
	}
	if err != nil {
		return nil, "", err
	}
	mrs, err := a.resolve(ctx, d.Project, commits)
	if how == "since" {
		mrs = slices.DeleteFunc(mrs, func(m mrInfo) bool { return m.MergedAt.Before(since) })
	}
	return mrs, how, err
}

// compare lists the commits reachable from head and not from base, oldest
// first: one compare call, or, when that answer may be cut (it timed out or
// holds compareLimit commits or more), the "base..head" range page by page.
func (a *attributor) compare(ctx context.Context, project, base, head string) ([]*gl.Commit, error) {
	cmp, _, err := a.api.Repositories.Compare(project, &gl.CompareOptions{From: &base, To: &head}, gl.WithContext(ctx))
	if err != nil {
		return nil, apiErr(fmt.Sprintf("compare %s %.12s...%.12s", project, base, head), err)
	}
	if !cmp.CompareTimeout && len(cmp.Commits) < a.compareLimit {
		return cmp.Commits, nil
	}
	out, err := a.listCommits(ctx, project, &gl.ListCommitsOptions{RefName: gl.Ptr(base + ".." + head)})
	slices.Reverse(out) // oldest first, like compare
	return out, err
}

// commitsSince lists the commits reachable from head dated since or
// later, oldest first.
func (a *attributor) commitsSince(ctx context.Context, project, head string, since time.Time) ([]*gl.Commit, error) {
	out, err := a.listCommits(ctx, project, &gl.ListCommitsOptions{RefName: &head, Since: &since})
	slices.Reverse(out)
	return out, err
}

// listCommits lists commits newest first across pages.
func (a *attributor) listCommits(ctx context.Context, project string, opt *gl.ListCommitsOptions) ([]*gl.Commit, error) {
	opt.PerPage = 100
	var out []*gl.Commit
	opts := []gl.RequestOptionFunc{gl.WithContext(ctx)}
	for range maxRangePages {
		page, resp, err := a.api.Commits.ListCommits(project, opt, opts...)
		if err != nil {
			return nil, apiErr("list commits "+project, err)
		}
		out = append(out, page...)
		next, ok := gl.WithNext(resp)
		if !ok {
			return out, nil
		}
		opts = []gl.RequestOptionFunc{gl.WithContext(ctx), next}
	}
	a.log.Warn("deploy range truncated", "project", project, "commits", len(out))
	return out, nil
}

// missing reports whether the commit sha does not exist in project.
func (a *attributor) missing(ctx context.Context, project, sha string) (bool, error) {
	_, _, err := a.api.Commits.GetCommit(project, sha, nil, gl.WithContext(ctx))
	if isGone(err) {
		return true, nil
	}
	if err != nil {
		return false, apiErr(fmt.Sprintf("commit %s %.12s", project, sha), err)
	}
	return false, nil
}

func (a *attributor) load(ctx context.Context, key string) (deployState, error) {
	var st deployState
	raw, err := a.cursors.Cursor(ctx, event.SourceGitLab, key)
	if err != nil || raw == "" {
		return st, err
	}
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		a.log.Warn("attribution state unreadable; treating the next deploy as the first", "key", key, "err", err)
		return deployState{}, nil
	}
	return st, nil
}

func (a *attributor) save(ctx context.Context, key string, st deployState) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode attribution state: %w", err)
	}
	return a.cursors.SetCursor(ctx, event.SourceGitLab, key, string(raw))
}
