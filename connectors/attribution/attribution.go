// Package attribution answers "which changes did this production deploy
// ship" for every code host. It is the only code that knows how a deploy's
// commit range maps to pull or merge requests.
//
// A code host connector (connectors/github, connectors/gitlab) implements
// Host, the commit-range question in six calls:
//
//	Compare(repo, base, head)      the commits between two deploys
//	LastDeploy(deploy, t)          the last successful deploy before t
//	CommitsSince(repo, head, t)    the commits of a first deploy, since t
//	HasCommit(repo, sha)           does a deployed sha exist at all
//	Changes(repo, sha)             commit → the changes that contain it
//	Merged(repo, since)            (a large range) the changes merged since
//
// and hands finished production deploys to an Attributor (New), which
// publishes deployment.failed, or deployment.succeeded with one
// change.shipped per change whose landed commit lies between the previous
// successful deploy of the same repository and environment and this one.
// The deploy document connector (connectors/deploy) gives it deploys posted
// by CI. The host's poller and webhook feed the changes they see merged to
// Remember, so most deploys cost one Compare and no Changes calls.
package attribution

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

// doneMax is how many published deploy ids a repo/environment remembers, so
// a deploy reported twice (webhook and poll) is published once.
const doneMax = 64

// ErrNotFound is wrapped by a Host's errors that say the commits do not
// exist (a force-pushed or unpushed sha, a repository goalpost cannot read):
// such a deploy ships nothing rather than blocking every later one.
var ErrNotFound = errors.New("commits not found")

// Host is a code host's side of attribution. Calls block while calling the
// host's API (through its client's retry policy) and may be made
// concurrently for different repositories. Errors are the host's, wrapped
// with context; none is retried here (the poller tries again next poll,
// a webhook answers 5xx).
type Host interface {
	// Compare returns the commits reachable from head and not from base,
	// oldest first, across every page (bounded: a truncated range is
	// logged by the host). An error wrapping ErrNotFound says base or head
	// is unknown.
	Compare(ctx context.Context, repo, base, head string) ([]Commit, error)
	// LastDeploy returns the sha of the last successful deploy of d's
	// repository to d's environment (by the same mechanism: a deployment,
	// a deploy workflow or job) that finished before t, as the host
	// records it; "" when there is none. A first deploy after the history
	// start is compared against it, so the changes merged before the start
	// and shipped after it count. Bounded: a host looks back a few pages.
	LastDeploy(ctx context.Context, d Deploy, before time.Time) (string, error)
	// CommitsSince returns the commits reachable from head dated since or
	// later, oldest first.
	CommitsSince(ctx context.Context, repo, head string, since time.Time) ([]Commit, error)
	// HasCommit reports whether sha exists in repo.
	HasCommit(ctx context.Context, repo, sha string) (bool, error)
	// Changes returns the changes whose commits include sha; unmerged ones
	// are ignored, and a sha the host does not know has none.
	Changes(ctx context.Context, repo, sha string) ([]Change, error)
	// Merged returns the changes merged (or updated) since t, most recent
	// first, in as few requests as the host allows; attribution calls it
	// for a large range instead of one Changes call per commit. A host
	// without such a listing returns none.
	Merged(ctx context.Context, repo string, since time.Time) ([]Change, error)
}

// Commit is a commit of a deploy's range.
type Commit struct {
	SHA     string
	Parents []string  // first parent first
	At      time.Time // committer date (zero: unknown)
}

// Config is what an Attributor needs besides its Host.
type Config struct {
	// Source is the host's event source ("github", "gitlab"); attribution
	// state is kept under it in the cursor store, as "deploy:REPO:ENV".
	Source string
	// Since is the history start used for a first deploy reported through
	// Publish (zero: a first deploy ships nothing).
	Since time.Time
	// ShipOnMerge reports the repositories that deploy on merge: their
	// deploys ship nothing (the merge already counted). Nil: none.
	ShipOnMerge func(repo string) bool
	// RepoName returns the host's spelling of a repository named by a
	// deploy document, so its events get the ids the host's own would
	// (nil: as given).
	RepoName func(ctx context.Context, repo string) string
	// ShippedAt is when a change reaches production: ShippedAtFinished
	// (the deploy's success, the default) or ShippedAtCreated (its
	// creation or start, when the deploy's source says; else its success).
	// It dates change.shipped and measures its lead time.
	ShippedAt string
	Log       *slog.Logger
}

// The definitions of "a change reached production" (Config.ShippedAt).
const (
	ShippedAtFinished = "deploy_finished"
	ShippedAtCreated  = "deploy_created"
)

// ShippedAtChoices are the values of a connector's shipped_at option.
var ShippedAtChoices = []string{ShippedAtFinished, ShippedAtCreated}

// Attributor attributes production deploys of one host's repositories. It
// keeps its state per repository and environment (last deploy sha and time,
// recently published deploys) in the cursor store, written only after the
// deploy's events were published, and attributes the deploys of one
// repository/environment one at a time (the poller and the webhooks share
// it). It is safe for concurrent use.
type Attributor struct {
	host    Host
	cursors connector.CursorStore
	pub     connector.Publisher
	cfg     Config
	log     *slog.Logger
	index   *index

	mu    sync.Mutex
	locks map[string]chan struct{} // one-slot semaphores, so waiting honours ctx
}

// New returns an Attributor; it does no I/O.
func New(host Host, cursors connector.CursorStore, pub connector.Publisher, cfg Config) *Attributor {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Attributor{host: host, cursors: cursors, pub: pub, cfg: cfg, log: log, index: newIndex(), locks: map[string]chan struct{}{}}
}

// Remember tells the attributor about a change seen merged (by a poll or a
// webhook), so a deploy shipping it needs no Changes call.
func (a *Attributor) Remember(c Change) { a.index.add(c) }

// Publish attributes and publishes one finished deploy reported from
// outside the host (a deploy document): its repository is first put in the
// host's spelling, and a first deploy reads history from Config.Since.
// Deploys to environments that are not production are the caller's to
// filter. It blocks while the repository/environment is being attributed
// by someone else and calls the host; it is idempotent per deploy and
// returns nil only after the events were published.
func (a *Attributor) Publish(ctx context.Context, d Deploy) error {
	if a.cfg.RepoName != nil {
		d.Repo = a.cfg.RepoName(ctx, d.Repo)
	}
	return a.PublishSince(ctx, d, a.cfg.Since)
}

// PublishSince publishes one finished production deploy: deployment.failed,
// or deployment.succeeded with one change.shipped per change it shipped.
// since is the history start for a first deploy (zero: a first deploy
// ships nothing). A deploy already published is not published again;
// nothing is recorded unless Publish succeeded.
func (a *Attributor) PublishSince(ctx context.Context, d Deploy, since time.Time) error {
	if !d.Succeeded {
		if err := a.pub.Publish(ctx, d.event(nil, d.At)); err != nil {
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
	if err != nil || slices.Contains(st.Done, d.EventID()) {
		return err
	}
	shipped, how, err := a.shipped(ctx, d, st, since)
	if err != nil {
		return fmt.Errorf("attribute deploy %s: %w", d.EventID(), err)
	}
	at := a.shippedAt(d)
	dev := d.event(shipped, at)
	dev.Attrs["attribution"] = how
	if st.SHA != "" {
		dev.Attrs["previous_sha"] = st.SHA
	}
	evs := []event.Event{dev}
	for _, c := range shipped {
		evs = append(evs, c.shipped(d.Environment, at, d.Key))
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

// shipped lists the changes d shipped and says how they were found.
func (a *Attributor) shipped(ctx context.Context, d Deploy, st state, since time.Time) ([]Change, string, error) {
	var commits []Commit
	var err error
	how := "compare"
	switch {
	case a.cfg.ShipOnMerge != nil && a.cfg.ShipOnMerge(d.Repo):
		return nil, "ship_on_merge", nil
	case st.SHA == "" && since.IsZero():
		return nil, "first_deploy", nil
	case st.SHA == "":
		return a.firstShipped(ctx, d, since)
	case d.At.Before(st.At):
		return nil, "out_of_order", nil
	case st.SHA == d.SHA:
		return nil, "redeploy", nil
	default:
		commits, err = a.host.Compare(ctx, d.Repo, st.SHA, d.SHA)
	}
	return a.rangeShipped(ctx, d, commits, how, err)
}

// firstShipped lists the changes the first deploy seen after since shipped:
// the range from the last successful deploy before since, as the host
// records it ("since_deploy"), so that changes merged before since and
// shipped by d count; without one (or when its commit is gone), the
// commits dated since, keeping only the changes merged since ("since").
func (a *Attributor) firstShipped(ctx context.Context, d Deploy, since time.Time) ([]Change, string, error) {
	base, err := a.host.LastDeploy(ctx, d, since)
	if err != nil {
		return nil, "", fmt.Errorf("last deploy before %s: %w", since.Format(time.DateOnly), err)
	}
	if base == d.SHA {
		return nil, "redeploy", nil
	}
	if base != "" {
		commits, err := a.host.Compare(ctx, d.Repo, base, d.SHA)
		if !errors.Is(err, ErrNotFound) {
			return a.rangeShipped(ctx, d, commits, "since_deploy", err)
		}
		a.log.Warn("last deploy before since not comparable; reading commits since", "repo", d.Repo, "base", base, "err", err)
	}
	commits, err := a.host.CommitsSince(ctx, d.Repo, d.SHA, since)
	changes, how, err := a.rangeShipped(ctx, d, commits, "since", err)
	if how == "since" {
		changes = slices.DeleteFunc(changes, func(c Change) bool { return c.MergedAt.Before(since) })
	}
	return changes, how, err
}

// rangeShipped resolves the commits of d's range (read with err) to the
// changes they landed; a range whose commits do not exist ships nothing.
func (a *Attributor) rangeShipped(ctx context.Context, d Deploy, commits []Commit, how string, err error) ([]Change, string, error) {
	if errors.Is(err, ErrNotFound) {
		a.log.Warn("cannot attribute deploy: commits not found", "repo", d.Repo, "deploy", d.Key, "err", err)
		// A deployed commit the host does not have (a wrong or unpushed
		// sha) must not become the next deploy's base: its range would be
		// lost.
		if ok, err := a.host.HasCommit(ctx, d.Repo, d.SHA); err != nil || !ok {
			return nil, "unknown_sha", err
		}
		return nil, "unresolvable", nil
	}
	if err != nil {
		return nil, "", err
	}
	changes, err := a.resolve(ctx, d.Repo, commits)
	return changes, how, err
}

// shippedAt is when the changes d shipped reached production.
func (a *Attributor) shippedAt(d Deploy) time.Time {
	if a.cfg.ShippedAt == ShippedAtCreated && !d.CreatedAt.IsZero() && d.CreatedAt.Before(d.At) {
		return d.CreatedAt
	}
	return d.At
}

// lock serializes attribution of one repository/environment; it gives up
// when ctx ends (a webhook must answer within seconds even while the poller
// waits out a rate limit holding the lock).
func (a *Attributor) lock(ctx context.Context, key string) (unlock func(), err error) {
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

// state is the attribution state of one repository and environment.
type state struct {
	SHA  string    `json:"sha"`
	At   time.Time `json:"at"`
	Key  string    `json:"key"`
	Done []string  `json:"done,omitempty"`
}

func (a *Attributor) load(ctx context.Context, key string) (state, error) {
	var st state
	raw, err := a.cursors.Cursor(ctx, a.cfg.Source, key)
	if err != nil || raw == "" {
		return st, err
	}
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		a.log.Warn("attribution state unreadable; treating the next deploy as the first", "key", key, "err", err)
		return state{}, nil
	}
	return st, nil
}

func (a *Attributor) save(ctx context.Context, key string, st state) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode attribution state: %w", err)
	}
	return a.cursors.SetCursor(ctx, a.cfg.Source, key, string(raw))
}
