package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/goalpost/goalpost/internal/metrics"
)

// LeaseBucket is the JetStream key-value bucket holding the leases (ADR 34).
const LeaseBucket = "GOALPOST_LEASES"

// DefaultLeaseTTL is how long a lease outlives its holder's last renewal:
// a dead replica's work moves to another within about this long.
const DefaultLeaseTTL = 15 * time.Second

// EnsureLeaseBucket creates or updates the lease bucket: every value expires
// ttl after it was written, and it is kept on replicas servers.
func EnsureLeaseBucket(ctx context.Context, js jetstream.JetStream, ttl time.Duration, replicas int) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      LeaseBucket,
		Description: "goalpost: which replica does which singleton work (polls, reports)",
		History:     1,
		TTL:         ttl,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("ensure lease bucket: %w", err)
	}
	return kv, nil
}

// Leases runs work that must run on one replica at a time: a lease is a key
// in the bucket whose value names its holder. A replica takes a free lease
// by creating the key, keeps it by updating it (compare-and-set on the
// revision it last wrote) every TTL/3, and gives it up by deleting it. A
// holder that dies stops renewing; the server drops its value TTL after the
// last renewal and another replica takes the lease. A holder that cannot
// renew stops its work 2/3·TTL after its last renewal, before the value can
// expire on the server, so two holders never overlap (clocks only need to
// run at the same rate, not agree).
type Leases struct {
	kv     jetstream.KeyValue
	holder string
	ttl    time.Duration
	log    *slog.Logger
	m      *metrics.Metrics
}

// NewLeases returns the leases of replica holder in kv (EnsureLeaseBucket,
// with the same ttl); m (may be nil) shows which leases it holds. It does
// no I/O.
func NewLeases(kv jetstream.KeyValue, holder string, ttl time.Duration, log *slog.Logger, m *metrics.Metrics) *Leases {
	return &Leases{kv: kv, holder: holder, ttl: ttl, log: log, m: m}
}

// Hold runs fn whenever this replica holds the lease name, until ctx ends:
// it waits for the lease (trying every TTL/3), runs fn with a context that
// ends as soon as the lease may be lost, and gives the lease up when fn
// returns; then it waits for the lease again. Hold returns nil when ctx
// ends, and fn's error when fn fails while the lease is held (fn is a loop
// meant to run until its context ends).
func (l *Leases) Hold(ctx context.Context, name string, fn func(context.Context) error) error {
	every := l.ttl / 3
	for {
		rev, err := l.acquire(ctx, name)
		switch {
		case err != nil && ctx.Err() == nil:
			l.log.Debug("lease", "lease", name, "err", err)
		case rev > 0:
			l.log.Debug("lease taken", "lease", name)
			if err := l.run(ctx, name, rev, fn); err != nil && ctx.Err() == nil {
				return fmt.Errorf("lease %s: %w", name, err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

// acquire takes the lease if it is free or already this holder's (a
// restart of the same replica), returning its revision; 0 when another
// replica holds it.
func (l *Leases) acquire(ctx context.Context, name string) (uint64, error) {
	actx, cancel := context.WithTimeout(ctx, l.ttl/3)
	defer cancel()
	rev, err := l.kv.Create(actx, name, []byte(l.holder))
	if err == nil || !errors.Is(err, jetstream.ErrKeyExists) {
		return rev, err
	}
	e, err := l.kv.Get(actx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil // expired meanwhile: try again next time
	}
	if err != nil || string(e.Value()) != l.holder {
		return 0, err
	}
	return l.kv.Update(actx, name, []byte(l.holder), e.Revision())
}

// run runs fn while renewing the lease every TTL/4; fn's context ends when
// a renewal is refused (another holder) or none succeeded for TTL/2, well
// before the server can drop the value (TTL after the last renewal). It
// returns fn's error unless the lease was lost (fn was stopped).
func (l *Leases) run(ctx context.Context, name string, rev uint64, fn func(context.Context) error) error {
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	l.m.LeaseHeld(name, true)
	defer l.m.LeaseHeld(name, false)
	done := make(chan error, 1)
	go func() { done <- fn(wctx) }()
	renew := time.NewTicker(l.ttl / 4)
	defer renew.Stop()
	expire := time.NewTimer(l.ttl / 2)
	defer expire.Stop()
	for {
		select {
		case err := <-done:
			l.release(ctx, name, rev)
			return err
		case <-expire.C:
			l.log.Warn("lease lost: not renewed in time", "lease", name)
			stop()
			<-done
			return nil
		case <-renew.C:
			start := time.Now()
			r, err := l.renew(wctx, name, rev)
			if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyNotFound) {
				l.log.Warn("lease lost: taken by another replica", "lease", name)
				stop()
				<-done
				return nil
			}
			if err == nil {
				rev = r
				expire.Reset(l.ttl/2 - time.Since(start))
			}
		}
	}
}

// renew updates the lease at rev. A refused update whose key still names
// this holder was an earlier renewal that timed out on the client after
// the server stored it: the lease is still ours, at the stored revision.
func (l *Leases) renew(ctx context.Context, name string, rev uint64) (uint64, error) {
	rctx, cancel := context.WithTimeout(ctx, l.ttl/4)
	defer cancel()
	r, err := l.kv.Update(rctx, name, []byte(l.holder), rev)
	if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return r, err
	}
	if e, gerr := l.kv.Get(rctx, name); gerr == nil && string(e.Value()) == l.holder {
		return e.Revision(), nil
	}
	return 0, err
}

// release deletes the lease if this holder still has it, so another replica
// can take it at once rather than after the TTL.
func (l *Leases) release(ctx context.Context, name string, rev uint64) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.ttl/4)
	defer cancel()
	if err := l.kv.Delete(rctx, name, jetstream.LastRevision(rev)); err != nil {
		l.log.Debug("release lease", "lease", name, "err", err)
	}
}

// StreamReady reports whether the events stream answers (it has a leader:
// a publish would be stored), for /readyz.
func StreamReady(js jetstream.JetStream, stream string) func(context.Context) error {
	return func(ctx context.Context) error {
		if _, err := js.Stream(ctx, stream); err != nil {
			return fmt.Errorf("stream %s: %w", stream, err)
		}
		return nil
	}
}
