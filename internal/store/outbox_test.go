package store_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/store/storetest"
	"github.com/goalpost/goalpost/writeback/outbox"
)

var t0 = time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)

func openOutboxStore(t *testing.T) *store.Store {
	t.Helper()
	return storetest.Open(t, filepath.Join(t.TempDir(), "goalpost.db"))
}

// tgt reads a target written as text, failing the test when it is not one.
func tgt(t *testing.T, s string) outbox.Target {
	t.Helper()
	tg, err := outbox.ParseTarget(s)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func enq(t *testing.T, st *store.Store, target, payload string) {
	t.Helper()
	err := st.InTx(t.Context(), func(tx *store.Tx) error {
		return tx.EnqueueWrite(t.Context(), store.Write{Target: tgt(t, target), KRKey: "kr", Payload: []byte(payload)}, t0)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func row(t *testing.T, st *store.Store, target string) store.QueuedWrite {
	t.Helper()
	ws, err := st.ListWrites(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Target.String() == target {
			return w
		}
	}
	t.Fatalf("no row for %s", target)
	return store.QueuedWrite{}
}

func TestEnqueueWriteCoalesces(t *testing.T) {
	tests := []struct {
		name  string
		steps []string // "enqueue:<payload>", "send", "park"
		state string
		body  string
		seq   int64
	}{
		{"new write", []string{"enqueue:a"}, store.WritePending, "a", 1},
		{"latest payload wins", []string{"enqueue:a", "enqueue:b", "enqueue:c"}, store.WritePending, "c", 3},
		{"same payload is no change", []string{"enqueue:a", "enqueue:a"}, store.WritePending, "a", 1},
		{"sent payload again is not queued", []string{"enqueue:a", "send", "enqueue:a"}, store.WriteSent, "a", 1},
		{"new payload after send is queued", []string{"enqueue:a", "send", "enqueue:b"}, store.WritePending, "b", 2},
		{"reverting to the sent payload marks it sent", []string{"enqueue:a", "send", "enqueue:b", "enqueue:a"}, store.WriteSent, "a", 3},
		{"parked stays parked for the same payload", []string{"enqueue:a", "park", "enqueue:a"}, store.WriteParked, "a", 1},
		{"new payload unparks", []string{"enqueue:a", "park", "enqueue:b"}, store.WritePending, "b", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openOutboxStore(t)
			for _, step := range tt.steps {
				w := store.QueuedWrite{}
				if step != "send" && step != "park" {
					enq(t, st, "notion:page:p", step[len("enqueue:"):])
					continue
				}
				w = row(t, st, "notion:page:p")
				var ok bool
				var err error
				if step == "send" {
					ok, err = st.MarkWriteSent(t.Context(), w.Target, w.Seq, t0)
				} else {
					ok, err = st.ParkWrite(t.Context(), w.Target, w.Seq, "404", "fp", t0)
				}
				if err != nil || !ok {
					t.Fatalf("%s: %v %v", step, ok, err)
				}
			}
			w := row(t, st, "notion:page:p")
			if w.State != tt.state || string(w.Payload) != tt.body || w.Seq != tt.seq {
				t.Errorf("state=%s payload=%s seq=%d, want %s %s %d", w.State, w.Payload, w.Seq, tt.state, tt.body, tt.seq)
			}
		})
	}
}

func TestClaimLeaseAndStaleMarks(t *testing.T) {
	st := openOutboxStore(t)
	ctx := t.Context()
	for i := range 5 {
		enq(t, st, fmt.Sprintf("notion:page:%d", i), "v1")
	}
	ws, err := st.ClaimWrites(ctx, t0, time.Minute, 3)
	if err != nil || len(ws) != 3 || ws[0].Attempts != 1 {
		t.Fatalf("claim = %+v, %v", ws, err)
	}
	// Claimed writes are leased: a second claim gets only the other two.
	more, _ := st.ClaimWrites(ctx, t0, time.Minute, 10)
	if len(more) != 2 {
		t.Fatalf("second claim = %d writes, want 2", len(more))
	}
	// After the lease (a crashed sender), they are due again.
	again, _ := st.ClaimWrites(ctx, t0.Add(time.Minute), time.Minute, 10)
	if len(again) != 5 || again[0].Attempts != 2 {
		t.Fatalf("after the lease: %d writes (attempts %d)", len(again), again[0].Attempts)
	}
	// A mark for a payload that was replaced meanwhile changes nothing.
	enq(t, st, "notion:page:0", "v2")
	for name, mark := range map[string]func() (bool, error){
		"sent": func() (bool, error) { return st.MarkWriteSent(ctx, outbox.NotionPage("0"), again[0].Seq, t0) },
		"failed": func() (bool, error) {
			return st.MarkWriteFailed(ctx, outbox.NotionPage("0"), again[0].Seq, t0.Add(time.Hour), "x")
		},
		"parked": func() (bool, error) { return st.ParkWrite(ctx, outbox.NotionPage("0"), again[0].Seq, "x", "fp", t0) },
	} {
		if ok, err := mark(); ok || err != nil {
			t.Errorf("stale %s mark applied: %v %v", name, ok, err)
		}
	}
	if w := row(t, st, "notion:page:0"); w.State != store.WritePending || string(w.Payload) != "v2" || !w.NextAttempt.IsZero() {
		t.Errorf("row = %+v", w)
	}
	// DueWrites reads without claiming.
	due1, _ := st.DueWrites(ctx, t0.Add(time.Hour), 10)
	due2, _ := st.DueWrites(ctx, t0.Add(time.Hour), 10)
	if len(due1) != 5 || fmt.Sprint(due1) != fmt.Sprint(due2) {
		t.Errorf("due writes changed by reading: %d vs %d", len(due1), len(due2))
	}
	at, ok, err := st.NextWriteDue(ctx)
	if err != nil || !ok || !at.IsZero() {
		t.Errorf("next due = %v %v %v, want now (the re-enqueued write)", at, ok, err)
	}
}

func TestUnparkAndCounts(t *testing.T) {
	st := openOutboxStore(t)
	ctx := t.Context()
	targets := []string{"notion:page:a", "notion:page:b", "linear:project:x", "linear_x:project:y"}
	for _, tg := range targets {
		enq(t, st, tg, "v")
	}
	ws, _ := st.ClaimWrites(ctx, t0, time.Minute, 10)
	for _, w := range ws {
		fp := "old"
		if w.Target == outbox.NotionPage("b") {
			fp = "new"
		}
		if ok, err := st.ParkWrite(ctx, w.Target, w.Seq, "boom", fp, t0); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	counts, _ := st.WriteCounts(ctx)
	if counts["notion"][store.WriteParked] != 2 || counts["linear"][store.WriteParked] != 1 || counts["linear_x"][store.WriteParked] != 1 {
		t.Errorf("counts = %v", counts)
	}
	if n, err := st.UnparkWrites(ctx, "notion", "new"); n != 1 || err != nil {
		t.Errorf("unpark notion under a new fingerprint = %d, %v; want only the write parked under another", n, err)
	}
	// Service "linear" must not select service "linear_x".
	if n, err := st.RetryParked(ctx, outbox.Target{Service: "linear"}); n != 1 || err != nil {
		t.Errorf("RetryParked(linear:) = %d, %v", n, err)
	}
	if w := row(t, st, "linear_x:project:y"); w.State != store.WriteParked || w.LastError != "boom" || w.ParkedFP != "old" {
		t.Errorf("linear_x row = %+v", w)
	}
	if n, err := st.RetryParked(ctx, outbox.Target{Service: "linear_x", Kind: "project", ID: "y"}); n != 1 || err != nil {
		t.Errorf("RetryParked(linear_x:project:y) = %d, %v", n, err)
	}
	if n, _ := st.RetryParked(ctx, outbox.Target{}); n != 1 {
		t.Errorf("RetryParked(all) = %d, want the 1 still parked", n)
	}
}
