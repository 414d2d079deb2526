package writeback_test

import (
	"context"
	"errors"
	"github.com/goalpost/goalpost/writeback/outbox"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/notionfake"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/writeback"
)

// hookSink runs hook before (or, with after, after) each write of the
// sink it wraps; n counts the writes so far (1 for the first).
type hookSink struct {
	inner writeback.Sink
	after bool
	mu    sync.Mutex
	n     int
	hook  func(ctx context.Context, n int, target string)
}

func (h *hookSink) Write(ctx context.Context, t outbox.Target, r outbox.Update) error {
	target := t.String()
	h.mu.Lock()
	h.n++
	n := h.n
	h.mu.Unlock()
	if !h.after && h.hook != nil {
		h.hook(ctx, n, target)
	}
	err := h.inner.Write(ctx, t, r)
	if h.after && h.hook != nil {
		h.hook(ctx, n, target)
	}
	return err
}

// pagePatches counts the property updates the fake received for page.
func pagePatches(co *company, page string) int {
	n := 0
	for _, r := range co.fake.Log() {
		if r.Route == "PATCH /v1/pages/{id}" && r.Path == "/v1/pages/"+page {
			n++
		}
	}
	return n
}

// outboxRow returns the Current of the payload in target's outbox row, and its state.
func outboxRow(t *testing.T, st *store.Store, target outbox.Target) (float64, string) {
	t.Helper()
	ws, err := st.ListWrites(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Target == target {
			r, _ := outbox.DecodeUpdate(w.Payload)
			return r.Current, w.State
		}
	}
	t.Fatalf("no outbox row for %s", target)
	return 0, ""
}

// TestNotionPayloadChangesWhileSending: the engine queues a new payload for
// a key result while an older one is being sent. Whatever the interleaving,
// the page must end up showing the latest payload, written once per change.
func TestNotionPayloadChangesWhileSending(t *testing.T) {
	tests := []struct {
		name string
		// during runs inside the first sender's write of current=2, before
		// it reaches Notion; other is a second sender on the same store.
		during      func(t *testing.T, co *company, st *store.Store, clk *clock, other *writeback.Sender)
		wantCurrent float64
	}{
		{
			name: "a second sender picks up the newer payload",
			during: func(t *testing.T, co *company, st *store.Store, clk *clock, other *writeback.Sender) {
				co.enqueueKR(t, st, 0, krResult(0, 3, clk.Now()), clk.Now())
				if err := other.Flush(t.Context()); err != nil {
					t.Error(err)
				}
			},
			wantCurrent: 3,
		},
		{
			name: "the change is reverted to the value last sent",
			during: func(t *testing.T, co *company, st *store.Store, clk *clock, _ *writeback.Sender) {
				co.enqueueKR(t, st, 0, krResult(0, 1, clk.Now()), clk.Now()) // byte for byte what was sent first
			},
			wantCurrent: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			co, st, clk := newCompany(t, 1), openStore(t, ""), newClock()
			target := outbox.NotionPage(co.pages[0])
			co.enqueueKR(t, st, 0, krResult(0, 1, clk.Now()), clk.Now())
			first := writeback.New(st, map[string]writeback.Sink{"notion": co.sink(t, nil, 1000, nil)}, nil, writeback.WithClock(clk.Now))
			if err := first.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			other := writeback.New(st, map[string]writeback.Sink{"notion": co.sink(t, nil, 1000, nil)}, nil, writeback.WithClock(clk.Now))
			hooked := &hookSink{inner: co.sink(t, nil, 1000, nil)}
			hooked.hook = func(_ context.Context, n int, _ string) {
				if n == 1 {
					tt.during(t, co, st, clk, other)
				}
			}
			s := writeback.New(st, map[string]writeback.Sink{"notion": hooked}, nil, writeback.WithClock(clk.Now))
			co.enqueueKR(t, st, 0, krResult(0, 2, clk.Now()), clk.Now())
			if err := s.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			// Later passes of either sender change nothing more.
			for _, x := range []*writeback.Sender{s, other} {
				if err := x.Flush(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			p, _ := co.fake.Page(co.pages[0])
			queued, state := outboxRow(t, st, target)
			if p.Props["Current"] != tt.wantCurrent || queued != tt.wantCurrent || state != store.WriteSent {
				t.Errorf("page shows Current=%v; outbox has %v (%s); want %v everywhere, sent",
					p.Props["Current"], queued, state, tt.wantCurrent)
			}
		})
	}
}

// TestSenderLeases: a claimed write is reserved for one send by one
// sender, however long the rest of its batch takes, and a send that
// completed is recorded even when the process is stopping.
func TestSenderLeases(t *testing.T) {
	tests := []struct {
		name string
		// hook runs around each write of the sender under test, which sends
		// two key results; other shares its store and clock.
		hook        func(t *testing.T, clk *clock, other *writeback.Sender, cancel context.CancelFunc) func(ctx context.Context, n int, target string)
		after       bool          // hook runs after the write reached Notion
		restartWait time.Duration // then a restarted sender flushes this much later
		wantPatches int           // page updates per key result
	}{
		{
			name: "a batch that outlasts its lease",
			hook: func(t *testing.T, clk *clock, other *writeback.Sender, _ context.CancelFunc) func(context.Context, int, string) {
				return func(_ context.Context, n int, _ string) {
					switch n {
					case 1: // the first send is slow (rate limits)
						clk.Add(100 * time.Second)
					case 2: // so is the second; meanwhile the other sender runs
						clk.Add(30 * time.Second)
						if err := other.Flush(t.Context()); err != nil {
							t.Error(err)
						}
					}
				}
			},
			wantPatches: 1,
		},
		{
			name:  "stopped right after a successful send",
			after: true,
			hook: func(t *testing.T, clk *clock, other *writeback.Sender, cancel context.CancelFunc) func(context.Context, int, string) {
				return func(context.Context, int, string) { cancel() } // SIGTERM as the answer arrives
			},
			restartWait: 5 * time.Minute,
			wantPatches: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			co, st, clk := newCompany(t, 2), openStore(t, ""), newClock()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			other := writeback.New(st, map[string]writeback.Sink{"notion": co.sink(t, nil, 1000, nil)}, nil, writeback.WithClock(clk.Now))
			hooked := &hookSink{inner: co.sink(t, nil, 1000, nil), after: tt.after}
			hooked.hook = tt.hook(t, clk, other, cancel)
			s := writeback.New(st, map[string]writeback.Sink{"notion": hooked}, nil, writeback.WithClock(clk.Now))
			for i := range 2 {
				co.enqueueKR(t, st, i, krResult(i, 5, clk.Now()), clk.Now())
			}
			if err := s.Flush(ctx); err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			if tt.restartWait > 0 {
				clk.Add(tt.restartWait)
				restarted := writeback.New(st, map[string]writeback.Sink{"notion": co.sink(t, nil, 1000, nil)}, nil, writeback.WithClock(clk.Now))
				if err := restarted.Flush(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			for i, page := range co.pages {
				if got := pagePatches(co, page); got != tt.wantPatches {
					t.Errorf("key result %d: %d page updates, want %d (one per change)", i, got, tt.wantPatches)
				}
				if _, state := outboxRow(t, st, outbox.NotionPage(page)); state != store.WriteSent {
					t.Errorf("key result %d: outbox state %s", i, state)
				}
			}
		})
	}
}

// TestRetryAfterIsBounded: a service (or a proxy in front of it) asking
// for a very long wait does not shelve a write for that long.
func TestRetryAfterIsBounded(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter int // seconds
		want       time.Duration
	}{
		{name: "ten minutes are honoured", retryAfter: 600, want: 10 * time.Minute},
		{name: "an hour is honoured", retryAfter: 3600, want: time.Hour},
		{name: "a year is cut to an hour", retryAfter: 365 * 24 * 3600, want: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			co, st, clk := newCompany(t, 1), openStore(t, ""), newClock()
			s := writeback.New(st, map[string]writeback.Sink{"notion": co.sink(t, nil, 1000, nil)}, nil, writeback.WithClock(clk.Now))
			co.fake.Inject(notionfake.Fault{Status: 429, RetryAfter: ptr(tt.retryAfter)})
			co.enqueueKR(t, st, 0, krResult(0, 6, clk.Now()), clk.Now())
			var fe *writeback.FailedError
			if err := s.Flush(t.Context()); !errors.As(err, &fe) || fe.Retrying != 1 {
				t.Fatalf("err = %v", err)
			}
			ws, _ := st.ListWrites(t.Context())
			if d := ws[0].NextAttempt.Sub(clk.Now()); d != tt.want {
				t.Errorf("retry in %s, want %s", d, tt.want)
			}
		})
	}
}
