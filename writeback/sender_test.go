package writeback_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/goalpost/goalpost/writeback/outbox"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/metrics"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/store/storetest"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recSink records writes and answers with scripted errors.
type recSink struct {
	mu     sync.Mutex
	writes []string // "target=current"
	errs   map[string][]error
	fp     string
	during func(target string) // called inside Write
}

func (s *recSink) Write(_ context.Context, t outbox.Target, r outbox.Update) error {
	target := t.String()
	s.mu.Lock()
	var err error
	if q := s.errs[target]; len(q) > 0 {
		err, s.errs[target] = q[0], q[1:]
	}
	s.writes = append(s.writes, fmt.Sprintf("%s=%g", target, r.Current))
	during := s.during
	s.mu.Unlock()
	if during != nil {
		during(target)
	}
	return err
}

func (s *recSink) Fingerprint() string { return s.fp }

func (s *recSink) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.writes...)
}

func (s *recSink) fail(target string, errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.errs == nil {
		s.errs = map[string][]error{}
	}
	s.errs[target] = append(s.errs[target], errs...)
}

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "goalpost.db")
	}
	return storetest.Open(t, path)
}

func payload(kr string, current float64) []byte {
	b, _ := outbox.Update{KRKey: kr, Current: current, Target: 10, Status: rules.StatusOnTrack}.Encode()
	return b
}

func enqueue(t *testing.T, st *store.Store, now time.Time, target string, current float64) {
	t.Helper()
	err := st.InTx(t.Context(), func(tx *store.Tx) error {
		tg, err := outbox.ParseTarget(target)
		if err != nil {
			return err
		}
		return tx.EnqueueWrite(t.Context(), store.Write{Target: tg, KRKey: "kr-" + target, Payload: payload("kr", current)}, now)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func states(t *testing.T, st *store.Store) map[string]string {
	t.Helper()
	ws, err := st.ListWrites(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, w := range ws {
		out[w.Target.String()] = w.State
	}
	return out
}

func TestFlushSendsOncePerChange(t *testing.T) {
	st, clk, sink := openStore(t, ""), newClock(), &recSink{}
	s := writeback.New(st, map[string]writeback.Sink{"notion": sink}, nil, writeback.WithClock(clk.Now))
	ctx := t.Context()
	for i, tg := range []string{"notion:page:a", "notion:page:b", "notion:page:c"} {
		enqueue(t, st, clk.Now(), tg, float64(i))
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sink.got(); len(got) != 3 {
		t.Fatalf("writes = %v", got)
	}
	// Flushing again, and re-enqueueing identical payloads, sends nothing.
	enqueue(t, st, clk.Now(), "notion:page:a", 0)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sink.got(); len(got) != 3 {
		t.Fatalf("nothing changed, but writes = %v", got)
	}
	// Coalescing: three changes to b before a flush → one write of the last.
	for _, v := range []float64{5, 6, 7} {
		enqueue(t, st, clk.Now(), "notion:page:b", v)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sink.got(); len(got) != 4 || got[3] != "notion:page:b=7" {
		t.Fatalf("writes = %v, want one more write of b=7", got)
	}
	// Reverting a pending change to what was last sent sends nothing.
	enqueue(t, st, clk.Now(), "notion:page:c", 9)
	enqueue(t, st, clk.Now(), "notion:page:c", 2)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sink.got(); len(got) != 4 {
		t.Fatalf("reverted change was sent: %v", got)
	}
	if st := states(t, st); st["notion:page:c"] != store.WriteSent {
		t.Errorf("state of c = %q", st["notion:page:c"])
	}
}

func TestNewerPayloadDuringSendIsSentNext(t *testing.T) {
	st, clk, sink := openStore(t, ""), newClock(), &recSink{}
	once := sync.Once{}
	sink.during = func(target string) {
		once.Do(func() { enqueue(t, st, clk.Now(), target, 2) }) // the engine commits meanwhile
	}
	s := writeback.New(st, map[string]writeback.Sink{"notion": sink}, nil, writeback.WithClock(clk.Now))
	enqueue(t, st, clk.Now(), "notion:page:a", 1)
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(sink.got()); got != "[notion:page:a=1 notion:page:a=2]" {
		t.Fatalf("writes = %s", got)
	}
	ws, _ := st.ListWrites(t.Context())
	if ws[0].State != store.WriteSent || !bytes.Equal(ws[0].Payload, payload("kr", 2)) {
		t.Errorf("row = %+v", ws[0])
	}
}

type waitErr struct{ d time.Duration }

func (e waitErr) Error() string       { return "rate limited" }
func (e waitErr) Wait() time.Duration { return e.d }

func TestRetryableFailuresBackOff(t *testing.T) {
	st, clk, sink := openStore(t, ""), newClock(), &recSink{}
	m := metrics.New()
	s := writeback.New(st, map[string]writeback.Sink{"linear": sink}, nil,
		writeback.WithClock(clk.Now), writeback.WithBackoff(30*time.Second, 2*time.Minute), writeback.WithMetrics(m))
	ctx := t.Context()
	tg := "linear:project:p1"
	boom := errors.New("503 service_unavailable")
	sink.fail(tg, boom, boom, boom, waitErr{10 * time.Minute}, boom)
	enqueue(t, st, clk.Now(), tg, 1)
	wantWaits := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 10 * time.Minute, 2 * time.Minute}
	for i, want := range wantWaits {
		var fe *writeback.FailedError
		if err := s.Flush(ctx); !errors.As(err, &fe) || fe.Retrying != 1 {
			t.Fatalf("attempt %d: err = %v", i+1, err)
		}
		ws, _ := st.ListWrites(ctx)
		if got := ws[0].NextAttempt.Sub(clk.Now()); got != want || ws[0].State != store.WritePending {
			t.Fatalf("attempt %d: retry in %s (state %s), want %s", i+1, got, ws[0].State, want)
		}
		// Not due yet: a flush now sends nothing.
		if err := s.Flush(ctx); err != nil {
			t.Fatalf("attempt %d: early flush: %v", i+1, err)
		}
		clk.Add(want)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(sink.got()); n != 6 {
		t.Errorf("attempts = %d, want 6", n)
	}
	if st := states(t, st); st[tg] != store.WriteSent {
		t.Errorf("state = %s", st[tg])
	}
	if got := counter(t, m, "goalpost_writes_failed_total"); got != 5 {
		t.Errorf("failed counter = %g", got)
	}
}

func TestPermanentFailuresParkUntilConfigChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "goalpost.db")
	st, clk := openStore(t, path), newClock()
	sink := &recSink{fp: "v1"}
	m := metrics.New()
	s := writeback.New(st, map[string]writeback.Sink{"notion": sink}, nil, writeback.WithClock(clk.Now), writeback.WithMetrics(m))
	ctx := t.Context()
	sink.fail("notion:page:a", permanent(errors.New("notion: object_not_found (http 404): Could not find page")))
	enqueue(t, st, clk.Now(), "notion:page:a", 1)
	enqueue(t, st, clk.Now(), "jira:issue:X-1", 1)
	var fe *writeback.FailedError
	if err := s.Flush(ctx); !errors.As(err, &fe) || fe.Parked != 2 {
		t.Fatalf("err = %v, want 2 parked", err)
	}
	var out bytes.Buffer
	if err := s.WriteStatus(ctx, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"0 pending, 2 parked, 0 sent", "Could not find page", `no writeback sink is configured for "jira"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
	if got := gauge(t, m, "goalpost_writes_parked"); got != 1 {
		t.Errorf("parked gauge = %g, want 1", got)
	}
	// A restart with the same configuration leaves it parked.
	if err := writeback.New(st, map[string]writeback.Sink{"notion": sink}, nil, writeback.WithClock(clk.Now)).Flush(ctx); !errors.As(err, &fe) && err != nil {
		t.Fatal(err)
	}
	if n := len(sink.got()); n != 1 {
		t.Fatalf("parked write retried without a config change (%d writes)", n)
	}
	// A changed configuration retries it.
	sink.fp = "v2"
	if err := writeback.New(st, map[string]writeback.Sink{"notion": sink}, nil, writeback.WithClock(clk.Now)).Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := states(t, st); got["notion:page:a"] != store.WriteSent || got["jira:issue:X-1"] != store.WriteParked {
		t.Errorf("states = %v", got)
	}
	// RetryParked on request.
	if n, err := s.RetryParked(ctx, outbox.Target{Service: "jira"}); err != nil || n != 1 {
		t.Fatalf("RetryParked = %d, %v", n, err)
	}
}

func TestNewPayloadUnparks(t *testing.T) {
	st, clk, sink := openStore(t, ""), newClock(), &recSink{}
	s := writeback.New(st, map[string]writeback.Sink{"notion": sink}, nil, writeback.WithClock(clk.Now))
	sink.fail("notion:page:a", permanent(errors.New("validation_error")))
	enqueue(t, st, clk.Now(), "notion:page:a", 1)
	_ = s.Flush(t.Context())
	enqueue(t, st, clk.Now(), "notion:page:a", 2)
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(sink.got()); got != "[notion:page:a=1 notion:page:a=2]" {
		t.Errorf("writes = %s", got)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	st, clk, sink := openStore(t, ""), newClock(), &recSink{}
	enqueue(t, st, clk.Now(), "notion:page:a", 1)
	enqueue(t, st, clk.Now(), "slack:channel:c", 1)
	before, _ := st.ListWrites(t.Context())
	var out bytes.Buffer
	s := writeback.New(st, map[string]writeback.Sink{"notion": sink}, nil, writeback.WithClock(clk.Now), writeback.WithDryRun(&out))
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	after, _ := st.ListWrites(t.Context())
	if fmt.Sprint(before) != fmt.Sprint(after) || len(sink.got()) != 0 {
		t.Errorf("dry run changed the outbox or wrote: %v → %v, writes %v", before, after, sink.got())
	}
	want := "dry run: would write notion:page:a (kr kr-notion:page:a): current 1 / target 10, status On track\n" +
		"dry run: would write slack:channel:c (kr kr-slack:channel:c): would be parked: no writeback sink is configured for \"slack\"\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestRunWakesOnNotifyAndStops(t *testing.T) {
	st, clk := openStore(t, ""), newClock()
	sent := make(chan string, 10)
	sink := &recSink{during: func(target string) { sent <- target }}
	s := writeback.New(st, map[string]writeback.Sink{"notion": sink}, nil,
		writeback.WithClock(clk.Now), writeback.WithPollInterval(time.Hour))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	for _, tg := range []string{"notion:page:a", "notion:page:b"} {
		enqueue(t, st, clk.Now(), tg, 1)
		s.Notify()
		select {
		case got := <-sent:
			if got != tg {
				t.Fatalf("sent %s, want %s", got, tg)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not wake on Notify")
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestRunDryRunPrintsEachWriteOnce(t *testing.T) {
	st, clk := openStore(t, ""), newClock()
	var out syncBuffer
	s := writeback.New(st, map[string]writeback.Sink{"notion": &recSink{}}, nil,
		writeback.WithClock(clk.Now), writeback.WithPollInterval(5*time.Millisecond), writeback.WithDryRun(&out))
	enqueue(t, st, clk.Now(), "notion:page:a", 1)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "would write"); n != 1 {
		t.Errorf("printed %d times:\n%s", n, out.String())
	}
	if got := states(t, st); got["notion:page:a"] != store.WritePending {
		t.Errorf("dry run changed the state: %v", got)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestConfig(t *testing.T) {
	var c writeback.Config
	if err := c.Validate(); err != nil || len(c.Options()) != 3 {
		t.Fatalf("zero config: %v, %d options", err, len(c.Options()))
	}
	c.ApplyDefaults()
	if c.PollInterval.Duration != writeback.DefaultPollInterval || c.RetryBase.Duration != writeback.DefaultRetryBase ||
		c.RetryMax.Duration != writeback.DefaultRetryMax || c.Lease.Duration != writeback.DefaultLease {
		t.Errorf("ApplyDefaults = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	c.Lease.Duration, c.RetryBase.Duration, c.RetryMax.Duration = time.Second, time.Minute, time.Second
	err := c.Validate()
	for _, key := range []string{"lease", "retry_max"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("error %v does not name %s", err, key)
		}
	}
}

// permanentErr is a sink error that says retrying cannot help, the way the
// real sinks' error types do (a Permanent() bool method).
type permanentErr struct{ error }

func (permanentErr) Permanent() bool { return true }

func permanent(err error) error { return permanentErr{err} }
