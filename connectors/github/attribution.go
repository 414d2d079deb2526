package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

const (
	// maxRangePages bounds one attribution's commit listing (100 per page).
	maxRangePages = 100
	// doneMax is how many published deploy ids a repo/environment remembers,
	// so a deploy reported twice (webhook and poll) is published once.
	doneMax = 64
)

// attributor decides which pull requests each successful production deploy
// shipped: those whose merge commits lie between the previous successful
// deploy of the same repository and environment and this one (the compare
// API, paginated past its 250-commit cap). Its state per repository and
// environment (last deploy sha and time, recently published deploys) lives
// in the cursor store under "deploy:OWNER/REPO:ENV" and is written only
// after the deploy's events were published. Deploys of one repo/environment
// are attributed one at a time (the poller and the webhooks share it).
type attributor struct {
	api     *gh.Client
	cursors connector.CursorStore
	pub     connector.Publisher
	index   *prIndex
	cfg     *Config
	log     *slog.Logger

	mu    sync.Mutex
	locks map[string]chan struct{} // one-slot semaphores, so waiting honours ctx
}

// deployState is the attribution state of one repository and environment.
type deployState struct {
	SHA  string    `json:"sha"`
	At   time.Time `json:"at"`
	Key  string    `json:"key"`
	Done []string  `json:"done,omitempty"`
}

// lock serializes attribution of one repository/environment; it gives up
// when ctx ends (a webhook must answer within seconds even while the poller
// waits out a rate limit holding the lock).
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
// deployment.succeeded with one change.shipped per PR it shipped. since is
// the backfill start for a first deploy (zero: a first deploy ships nothing).
// A deploy already published is not published again. Nothing is recorded
// unless Publish succeeded.
func (a *attributor) publish(ctx context.Context, d Deploy, since time.Time) error {
	if !d.Succeeded {
		if err := a.pub.Publish(ctx, d.event(nil)); err != nil {
			return fmt.Errorf("publish deploy %s: %w", d.EventID(), err)
		}
		return nil
	}
	key := "deploy:" + d.Repo + ":" + d.Environment
	unlock, err := a.lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := a.load(ctx, key)
	if err != nil {
		return err
	}
	if slices.Contains(st.Done, d.EventID()) {
		return nil
	}
	shipped, how, err := a.shipped(ctx, d, st, since)
	if err != nil {
		return fmt.Errorf("attribute deploy %s: %w", d.EventID(), err)
	}
	dev := d.event(shipped)
	dev.Attrs["attribution"] = how
	if st.SHA != "" {
		dev.Attrs["previous_sha"] = st.SHA
	}
	evs := []event.Event{dev}
	for _, p := range shipped {
		evs = append(evs, p.shipped(d.Environment, d.At, d.Key))
	}
	if err := a.pub.Publish(ctx, evs...); err != nil {
		return fmt.Errorf("publish deploy %s: %w", d.EventID(), err)
	}
	if how != "unknown_sha" && (st.SHA == "" || !d.At.Before(st.At)) {
		st.SHA, st.At, st.Key = d.SHA, d.At, d.Key
	}
	st.Done = append(st.Done, d.EventID())
	if len(st.Done) > doneMax {
		st.Done = st.Done[len(st.Done)-doneMax:]
	}
	return a.save(ctx, key, st)
}

// shipped lists the PRs d shipped and says how they were found.
func (a *attributor) shipped(ctx context.Context, d Deploy, st deployState, since time.Time) ([]prInfo, string, error) {
	var commits []*gh.RepositoryCommit
	var err error
	how := "compare"
	switch {
	case a.cfg.settingsFor(d.Repo).ShipOnMerge:
		return nil, "ship_on_merge", nil
	case st.SHA == "" && since.IsZero():
		return nil, "first_deploy", nil
	case st.SHA == "":
		how = "since"
		commits, err = a.commitsSince(ctx, d.Repo, d.SHA, since)
	case d.At.Before(st.At):
		return nil, "out_of_order", nil
	default:
		commits, err = a.compare(ctx, d.Repo, st.SHA, d.SHA)
	}
	if isGone(err) {
		a.log.Warn("cannot attribute deploy: commits not found", "repo", d.Repo, "deploy", d.Key, "err", err)
		// A deployed commit GitHub does not have (a wrong or unpushed sha)
		// must not become the next deploy's base: its range would be lost.
		if gone, err := a.missing(ctx, d.Repo, d.SHA); err != nil || gone {
			return nil, "unknown_sha", err
		}
		return nil, "unresolvable", nil
	}
	if err != nil {
		return nil, "", err
	}
	prs, err := a.resolve(ctx, d.Repo, commits)
	if how == "since" {
		prs = slices.DeleteFunc(prs, func(p prInfo) bool { return p.MergedAt.Before(since) })
	}
	return prs, how, err
}

// compare lists the commits reachable from head and not from base, oldest
// first, across every page.
func (a *attributor) compare(ctx context.Context, repo, base, head string) ([]*gh.RepositoryCommit, error) {
	owner, name, _ := strings.Cut(repo, "/")
	var out []*gh.RepositoryCommit
	opt := &gh.ListOptions{PerPage: 100}
	for range maxRangePages {
		cmp, resp, err := a.api.Repositories.CompareCommits(ctx, owner, name, base, head, opt)
		if err != nil {
			return nil, fmt.Errorf("compare %s %.12s...%.12s: %w", repo, base, head, err)
		}
		out = append(out, cmp.Commits...)
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
	a.log.Warn("deploy range truncated", "repo", repo, "commits", len(out))
	return out, nil
}

// commitsSince lists the commits reachable from head dated since or later.
func (a *attributor) commitsSince(ctx context.Context, repo, head string, since time.Time) ([]*gh.RepositoryCommit, error) {
	owner, name, _ := strings.Cut(repo, "/")
	var out []*gh.RepositoryCommit
	opt := &gh.CommitsListOptions{SHA: head, Since: since, ListOptions: gh.ListOptions{PerPage: 100}}
	for range maxRangePages {
		page, resp, err := a.api.Repositories.ListCommits(ctx, owner, name, opt)
		if err != nil {
			return nil, fmt.Errorf("list commits %s since %s: %w", repo, since.Format(time.DateOnly), err)
		}
		out = append(out, page...)
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	slices.Reverse(out) // oldest first, like compare
	return out, nil
}

// missing reports whether the commit sha does not exist in repo.
func (a *attributor) missing(ctx context.Context, repo, sha string) (bool, error) {
	owner, name, _ := strings.Cut(repo, "/")
	_, _, err := a.api.Repositories.GetCommitSHA1(ctx, owner, name, sha, "")
	if isGone(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("commit %s %.12s: %w", repo, sha, err)
	}
	return false, nil
}

// isGone reports whether err says the commits do not exist (a force-pushed
// sha, a repository goalpost cannot read): such a deploy ships nothing
// rather than blocking every later one.
func isGone(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return false
	}
	return er.Response.StatusCode == http.StatusNotFound || er.Response.StatusCode == http.StatusUnprocessableEntity
}

func (a *attributor) load(ctx context.Context, key string) (deployState, error) {
	var st deployState
	raw, err := a.cursors.Cursor(ctx, event.SourceGitHub, key)
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
	return a.cursors.SetCursor(ctx, event.SourceGitHub, key, string(raw))
}
