package writeback

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// Run sends due writes until ctx ends, then returns nil. It wakes on Notify,
// when the earliest retry is due, and at least every poll interval. Store
// errors are logged and retried at the next wake-up; they do not stop Run.
func (s *Sender) Run(ctx context.Context) error {
	s.start(ctx)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.notify:
		case <-timer.C:
		}
		var err error
		if s.dryRun != nil {
			err = s.dryRound(ctx, true)
		} else {
			_, err = s.drain(ctx)
		}
		if err != nil && ctx.Err() == nil {
			s.log.Error("writeback round failed", "err", err)
		}
		timer.Reset(s.untilNext(ctx))
	}
}

// Flush sends every write due now and returns when none is left (writes
// that fail retryably are rescheduled, not retried in this call). It returns
// a *FailedError when some writes failed, and other errors for store or ctx
// failures. In dry-run mode it prints the due writes and changes nothing.
func (s *Sender) Flush(ctx context.Context) error {
	s.start(ctx)
	if s.dryRun != nil {
		return s.dryRound(ctx, false)
	}
	tally, err := s.drain(ctx)
	if err != nil {
		return err
	}
	if tally.retrying > 0 || tally.parked > 0 {
		return &FailedError{Retrying: tally.retrying, Parked: tally.parked}
	}
	return nil
}

// FailedError is returned by Flush when writes failed; they stay in the
// outbox (pending with a retry time, or parked) and show in WriteStatus.
type FailedError struct {
	Retrying int
	Parked   int
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("writeback: %d write(s) failed and will be retried, %d parked (see goalpost status)", e.Retrying, e.Parked)
}

// start runs once per Sender: parked writes whose sink configuration
// changed since they were parked (or all, with WithRetryParkedOnStart) are
// made pending again.
func (s *Sender) start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.dryRun != nil {
		return
	}
	s.started = true
	if s.retryParkedStart {
		if n, err := s.st.RetryParked(ctx, outbox.Target{}); err != nil {
			s.log.Error("retry parked writes", "err", err)
		} else if n > 0 {
			s.log.Info("retrying parked writes", "count", n)
		}
		return
	}
	counts, err := s.st.WriteCounts(ctx)
	if err != nil {
		s.log.Error("count parked writes", "err", err)
		return
	}
	for service, states := range counts {
		if states[store.WriteParked] == 0 || slices.Contains(s.unsent(), service) {
			continue
		}
		n, err := s.st.UnparkWrites(ctx, service, s.fingerprint(service))
		if err != nil {
			s.log.Error("unpark writes", "service", service, "err", err)
		} else if n > 0 {
			s.log.Info("configuration changed, retrying parked writes", "service", service, "count", n)
		}
	}
}

// unsent are the services this Sender leaves to another: weekly reports
// when it has no report sink (sync delivers no reports; the daemon does).
func (s *Sender) unsent() []string {
	if s.reports == nil {
		return []string{outbox.ServiceReport}
	}
	return nil
}

// fingerprint is the configuration fingerprint of service's sink: "" when
// there is no sink, "configured" when it cannot say more.
func (s *Sender) fingerprint(service string) string {
	var sink any = s.reports
	if service != outbox.ServiceReport {
		sink = s.sinks[service]
	}
	if sink == nil {
		return ""
	}
	if f, ok := sink.(Fingerprinter); ok {
		return f.Fingerprint()
	}
	return "configured"
}

// RetryParked makes the parked writes sel selects (see
// outbox.Target.Selects) pending again and wakes Run. It returns how many.
func (s *Sender) RetryParked(ctx context.Context, sel outbox.Target) (int, error) {
	n, err := s.st.RetryParked(ctx, sel)
	if err == nil && n > 0 {
		s.Notify()
	}
	return n, err
}

// maxHintedWait bounds the wait a retryable error may ask for (Retry-After);
// the services' documented rate-limit windows are at most an hour.
const maxHintedWait = time.Hour

type tally struct{ sent, retrying, parked int }

func (t *tally) add(o tally) {
	t.sent, t.retrying, t.parked = t.sent+o.sent, t.retrying+o.retrying, t.parked+o.parked
}

// drain claims and sends batches until nothing is due.
func (s *Sender) drain(ctx context.Context) (tally, error) {
	var total tally
	defer s.updateParked(ctx)
	for ctx.Err() == nil {
		ws, err := s.st.ClaimWrites(ctx, s.now(), s.lease, s.batch, s.unsent()...)
		if err != nil || len(ws) == 0 {
			return total, err
		}
		total.add(s.sendBatch(ctx, ws))
	}
	return total, ctx.Err()
}

// sendBatch sends claimed writes, one goroutine per service so that one
// service's rate limit does not hold up the others; writes of one service
// go one at a time.
func (s *Sender) sendBatch(ctx context.Context, ws []store.QueuedWrite) tally {
	byService := map[string][]store.QueuedWrite{}
	for _, w := range ws {
		byService[w.Target.Service] = append(byService[w.Target.Service], w)
	}
	var mu sync.Mutex
	var total tally
	var wg sync.WaitGroup
	for _, service := range slices.Sorted(maps.Keys(byService)) {
		wg.Go(func() {
			var t tally
			for _, w := range byService[service] {
				t.add(s.sendOne(ctx, w))
			}
			mu.Lock()
			total.add(t)
			mu.Unlock()
		})
	}
	wg.Wait()
	return total
}

// sendOne sends one claimed write and records the outcome.
func (s *Sender) sendOne(ctx context.Context, w store.QueuedWrite) tally {
	if ctx.Err() != nil {
		s.release(ctx, w)
		return tally{}
	}
	send, err := s.sendFor(w)
	if err != nil {
		return s.park(ctx, w, err)
	}
	// The lease was taken for the whole batch; if the writes before this
	// one used up so much of it that the send (at most lease/2) could
	// outlast it, renew it first, or leave the write to whoever holds it.
	if now := s.now(); w.NextAttempt.Sub(now) < s.lease/2 {
		until := now.Add(s.lease)
		ok, err := s.st.RenewWriteLease(ctx, w.Target, w.Seq, w.NextAttempt, until)
		if err != nil || !ok {
			s.log.Debug("write lease lost before sending, skipped", "target", w.Target, "err", err)
			return tally{}
		}
		w.NextAttempt = until
	}
	sendCtx, cancel := context.WithTimeout(ctx, s.lease/2)
	err = send(sendCtx)
	cancel()
	switch {
	case err == nil:
		return s.sent(ctx, w)
	case ctx.Err() != nil:
		s.release(ctx, w)
		return tally{}
	case IsPermanent(err):
		return s.park(ctx, w, err)
	}
	return s.retry(ctx, w, err)
}

// sendFor returns the send of w through its service's sink, or why w can
// never be sent as it is (it is parked).
func (s *Sender) sendFor(w store.QueuedWrite) (func(context.Context) error, error) {
	service := w.Target.Service
	if service == outbox.ServiceReport && s.reports != nil {
		r, err := outbox.DecodeReport(w.Payload)
		if err != nil {
			return nil, fmt.Errorf("bad payload: %w", err)
		}
		return func(ctx context.Context) error {
			return s.reports.Deliver(ctx, r, w.Progress, s.confirm(w))
		}, nil
	}
	sink, ok := s.sinks[service]
	if !ok {
		return nil, fmt.Errorf("no writeback sink is configured for %q", service)
	}
	u, err := outbox.DecodeUpdate(w.Payload)
	if err != nil {
		return nil, fmt.Errorf("bad payload: %w", err)
	}
	return func(ctx context.Context) error { return sink.Write(ctx, w.Target, u) }, nil
}

// confirm records a send's progress in w's row. It records even when ctx
// ends right after a part was sent, so that stopping does not turn a
// confirmed part into a resend.
func (s *Sender) confirm(w store.QueuedWrite) func(context.Context, outbox.Progress) error {
	return func(ctx context.Context, p outbox.Progress) error {
		ok, err := s.st.RecordWriteProgress(context.WithoutCancel(ctx), w.Target, w.Seq, p)
		if err == nil && !ok {
			err = errors.New("the send was taken over (its row changed)")
		}
		if err != nil {
			return fmt.Errorf("record progress: %w", err)
		}
		return nil
	}
}

func (s *Sender) sent(ctx context.Context, w store.QueuedWrite) tally {
	s.metrics.WriteSent(w.Target.Service)
	// Recorded even when stopping: the write reached the service, and an
	// unrecorded one would be sent again after the restart.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	ok, err := s.st.MarkWriteSent(ctx, w.Target, w.Seq, s.now())
	switch {
	case err != nil:
		s.log.Error("record sent write", "target", w.Target, "err", err)
	case !ok:
		s.log.Debug("write sent, a newer payload is queued", "target", w.Target)
	default:
		s.log.Debug("write sent", "target", w.Target, "kr", w.KRKey)
	}
	return tally{sent: 1}
}

func (s *Sender) park(ctx context.Context, w store.QueuedWrite, cause error) tally {
	s.metrics.WriteFailed(w.Target.Service, true)
	reason := cause.Error()
	ok, err := s.st.ParkWrite(ctx, w.Target, w.Seq, reason, s.fingerprint(w.Target.Service), s.now())
	switch {
	case err != nil:
		s.log.Error("park write", "target", w.Target, "err", err)
	case ok:
		s.log.Warn("write parked", "target", w.Target, "kr", w.KRKey, "reason", reason)
	}
	return tally{parked: 1}
}

func (s *Sender) retry(ctx context.Context, w store.QueuedWrite, cause error) tally {
	s.metrics.WriteFailed(w.Target.Service, false)
	// A Retry-After is honoured up to maxHintedWait (or retry_max when
	// longer): a proxy asking for days must not shelve the write for days.
	wait := max(s.backoff(w.Attempts), min(waitHint(cause), max(s.retryMax, maxHintedWait)))
	next := s.now().Add(wait)
	if _, err := s.st.MarkWriteFailed(ctx, w.Target, w.Seq, next, cause.Error()); err != nil {
		s.log.Error("record failed write", "target", w.Target, "err", err)
	}
	s.log.Warn("write failed, will retry", "target", w.Target, "attempt", w.Attempts, "retry_in", wait, "err", cause)
	return tally{retrying: 1}
}

// release gives a claimed write back, due now, when stopping before or
// during its send (so a restart sends it without waiting for the lease).
func (s *Sender) release(ctx context.Context, w store.QueuedWrite) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := s.st.MarkWriteFailed(ctx, w.Target, w.Seq, s.now(), w.LastError); err != nil {
		s.log.Error("release write", "target", w.Target, "err", err)
	}
}

// updateParked publishes the number of parked writes per service.
func (s *Sender) updateParked(ctx context.Context) {
	if s.metrics == nil || ctx.Err() != nil {
		return
	}
	counts, err := s.st.WriteCounts(ctx)
	if err != nil {
		return
	}
	for service := range s.sinks {
		s.metrics.SetParked(service, counts[service][store.WriteParked])
	}
}

// untilNext is how long Run sleeps: until the earliest retry, at most the
// poll interval.
func (s *Sender) untilNext(ctx context.Context) time.Duration {
	at, ok, err := s.st.NextWriteDue(ctx)
	if err != nil || !ok {
		return s.poll
	}
	return min(max(at.Sub(s.now()), 10*time.Millisecond), s.poll)
}
