// Package engine is goalpost's processor: it stores events, maps their actors
// to people, matches them to key results, keeps each key result's units of
// work, issue state and result in the store, and queues a writeback for every
// key result whose result changed, all in one transaction per batch. It also
// answers the questions asked of those numbers: the current results, what
// moved in a week, why a value is what it is (explain), what a rule change
// does to history (rebuild), and who shipped to production each week (the
// weekly baseline).
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/goalpost/goalpost/internal/metrics"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/people"
)

// Health says whether a source's connector is failing right now, on top of
// the outages recorded in the store (RecordPoll, which the daemon calls
// after every poll). Failing must not block or do I/O (it is called while a
// transaction is open); it is asked once per source per evaluation. A key
// result that depends on a failing source is reported stale and its value
// frozen: it keeps the value of its last result computed with healthy
// sources (see rules.Rule.Frozen).
type Health interface {
	Failing(source string) bool
}

// HealthFunc adapts a function to Health.
type HealthFunc func(source string) bool

// Failing implements Health.
func (f HealthFunc) Failing(source string) bool { return f(source) }

// DefaultEvidenceLimit is how many evidence items a Result carries (the
// newest); explain lists them all.
const DefaultEvidenceLimit = 20

// Engine is the processor. Its methods are safe for concurrent use; they
// are serialized internally (one writer at a time, as SQLite is).
type Engine struct {
	set           *rules.Set
	dir           *people.Directory
	st            *store.Store
	now           func() time.Time
	health        Health
	log           *slog.Logger
	metrics       *metrics.Metrics
	evidenceLimit int
	mu            sync.Mutex
	// ahead is the latest time a batch was evaluated at (guarded by mu);
	// see clock.
	ahead time.Time
	// reference makes writes evaluate by the reference queries instead of
	// the incremental state (WithReference).
	reference bool
}

// Option configures New.
type Option func(*Engine)

// WithClock injects the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// WithHealth injects source health, for stale status (default: never failing).
func WithHealth(h Health) Option { return func(e *Engine) { e.health = h } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// WithMetrics counts duplicate events (nil is fine).
func WithMetrics(m *metrics.Metrics) Option { return func(e *Engine) { e.metrics = m } }

// WithEvidenceLimit sets how many evidence items each Result carries.
func WithEvidenceLimit(n int) Option { return func(e *Engine) { e.evidenceLimit = n } }

// WithReference makes the engine evaluate every key result from scratch
// (the reference computation) instead of from its incremental state: for
// comparisons in tests and benchmarks.
func WithReference() Option { return func(e *Engine) { e.reference = true } }

// New returns an engine over the compiled rules, the people directory and
// the store. It does no I/O.
func New(set *rules.Set, dir *people.Directory, st *store.Store, opts ...Option) *Engine {
	e := &Engine{
		set: set, dir: dir, st: st, now: time.Now,
		health: HealthFunc(func(string) bool { return false }),
		log:    slog.New(slog.DiscardHandler), evidenceLimit: DefaultEvidenceLimit,
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Handle is the pipeline's handler. In one store transaction it stores each
// event (an event already stored, by id, is skipped: a redelivery or replay
// counts once), maps its actor handle to a person, matches it against the
// rules, records matches, units and issue state, re-evaluates the key
// results it touched, and for each whose result changed meaningfully saves
// the result and a snapshot and queues its writebacks. It returns nil only
// after the commit; on error nothing is committed, so the caller may
// redeliver. An invalid event is an error.
func (e *Engine) Handle(ctx context.Context, evs []event.Event) error {
	if len(evs) == 0 {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := skewed(e.now(), evs)
	if c := e.clock(); c.After(now) {
		now = c
	}
	var dups []string
	err := e.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		dups, err = e.handleTx(ctx, tx, evs, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("handle %d events: %w", len(evs), err)
	}
	e.ahead = now
	for _, src := range dups {
		e.metrics.Duplicate(src)
	}
	return nil
}

// maxSkew is how far ahead of our clock an event may be stamped and still
// count at once: a source's clock a little ahead of ours (a deploy status
// stamped by GitHub a second before we read the time) must not wait for the
// next Tick to be counted.
const maxSkew = 5 * time.Minute

// skewed is the evaluation time for a batch: now, or the latest event time
// when that is ahead of now by less than maxSkew.
func skewed(now time.Time, evs []event.Event) time.Time {
	out := now
	for _, ev := range evs {
		if t := ev.OccurredAt; t.After(out) && t.Sub(now) < maxSkew {
			out = t
		}
	}
	return out
}

// clock is the evaluation time: now, or the time the last batch was
// evaluated at while that is still ahead of now (its events, stamped a
// little ahead of our clock, were counted at once: a later evaluation must
// not take them back out until the clock catches up). The caller holds mu.
func (e *Engine) clock() time.Time {
	now := e.now()
	if e.ahead.After(now) && e.ahead.Sub(now) < maxSkew {
		return e.ahead
	}
	return now
}

// handleTx is Handle's transaction; it returns the sources of the events
// that were already stored.
func (e *Engine) handleTx(ctx context.Context, tx *store.Tx, evs []event.Event, now time.Time) ([]string, error) {
	var dups []string
	k := tx.KR()
	defer k.Close()
	touched := keySet{}
	for i := range evs {
		ev := evs[i]
		if err := ev.Validate(); err != nil {
			return nil, err
		}
		ev.OccurredAt = ev.OccurredAt.UTC()
		matches := e.match(&ev)
		isNew, err := tx.InsertEvent(ctx, ev)
		if err != nil {
			return nil, err
		}
		if !isNew {
			dups = append(dups, ev.Source)
			continue
		}
		if err := e.record(ctx, k, &ev, matches, touched); err != nil {
			return nil, err
		}
	}
	_, err := e.refresh(ctx, tx, k, touched.sorted(), now)
	return dups, err
}

// identify fills ev.Actor with the person key behind ev.ActorHandle.
func (e *Engine) identify(ev *event.Event) {
	if p, ok := e.dir.Lookup(ev.Source, ev.ActorHandle); ok {
		ev.Actor = p.Key
	}
}

func (e *Engine) teamOf(personKey string) string {
	p, _ := e.dir.Person(personKey)
	return p.Team
}

// Tick re-evaluates every key result at the current time, so that pace and
// stale status move without new events, and queues writebacks for those
// that changed. The daemon calls it periodically and after each poll. A
// stale key result's frozen value does not move, so it is written once when
// it goes stale and again when its sources recover.
func (e *Engine) Tick(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock()
	err := e.st.InTx(ctx, func(tx *store.Tx) error {
		k := tx.KR()
		defer k.Close()
		if _, err := e.refresh(ctx, tx, k, e.allKeys(), now); err != nil {
			return err
		}
		return tx.MarkEvaluated(ctx, now)
	})
	if err != nil {
		return fmt.Errorf("tick: %w", err)
	}
	return nil
}

// Results returns where every key result stands now, in config order. It
// evaluates from the stored data and writes nothing.
func (e *Engine) Results(ctx context.Context) ([]rules.Result, error) {
	e.mu.Lock() // one consistent view: no batch commits halfway through
	defer e.mu.Unlock()
	now := e.clock()
	view := e.st.KRView()
	out := make([]rules.Result, 0, len(e.set.Rules()))
	for _, r := range e.set.Rules() {
		res, err := e.evaluate(ctx, view, nil, r, now)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

// LastResults returns what goalpost last evaluated and stored for every
// key result, in config order: what was written back, stale where a source
// was failing then. A key result never evaluated under its current rule is
// evaluated now. It writes nothing; read-only commands (status) use it,
// since they have no connector to tell them whether a source fails.
func (e *Engine) LastResults(ctx context.Context) ([]rules.Result, error) {
	results, err := e.Results(ctx)
	if err != nil {
		return nil, err
	}
	view := e.st.KRView()
	for i, r := range results {
		last, err := lastResult(ctx, view, r.KRKey)
		if err != nil {
			return nil, err
		}
		if last != nil && last.RuleVersion == r.RuleVersion {
			results[i] = *last
		}
	}
	return results, nil
}

// SetManual records a value for a manual key result (who set it and why are
// kept as its evidence) and re-evaluates it.
func (e *Engine) SetManual(ctx context.Context, krKey string, value float64, by, note string) error {
	r, ok := e.set.Rule(krKey)
	if !ok {
		return e.unknownKR(krKey, rules.TypeManual)
	}
	if r.Type != rules.TypeManual {
		err := e.unknownKR(krKey, rules.TypeManual)
		err.Msg = fmt.Sprintf("key result %q is a %s, not manual: its value comes from its sources", krKey, r.Type)
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock()
	return e.st.InTx(ctx, func(tx *store.Tx) error {
		k := tx.KR()
		defer k.Close()
		if err := k.SetManual(ctx, krKey, value, by, note, now); err != nil {
			return err
		}
		_, err := e.refresh(ctx, tx, k, []string{krKey}, now)
		return err
	})
}

// ChangedRules returns the key results whose stored result was computed by
// another version of their rule, or whose stored matches were (the config
// changed since, and the key result may have been re-evaluated under the
// new rule since): their history is only right after a Rebuild. Key results
// never evaluated are not listed.
func (e *Engine) ChangedRules(ctx context.Context) ([]string, error) {
	view := e.st.KRView()
	states, err := view.States(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range states {
		r, ok := e.set.Rule(st.KRKey)
		if !ok {
			continue
		}
		version, err := stateRuleVersion(st.Result)
		if err != nil {
			return nil, err
		}
		changed := version != r.Version
		if !changed {
			if changed, err = view.MatchedByOtherVersion(ctx, st.KRKey, r.Version); err != nil {
				return nil, err
			}
		}
		if changed {
			out = append(out, st.KRKey)
		}
	}
	return out, nil
}

func (e *Engine) allKeys() []string {
	keys := make([]string, 0, len(e.set.Rules()))
	for _, r := range e.set.Rules() {
		keys = append(keys, r.Key)
	}
	return keys
}

// StoredResults returns the last stored result of every key result that
// has one, in config order, without evaluating anything (a cheap read for
// the metrics scrape).
func (e *Engine) StoredResults(ctx context.Context) ([]rules.Result, error) {
	view := e.st.KRView()
	var out []rules.Result
	for _, r := range e.set.Rules() {
		last, err := lastResult(ctx, view, r.Key)
		if err != nil {
			return nil, err
		}
		if last != nil {
			out = append(out, *last)
		}
	}
	return out, nil
}
