package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// TestEnqueueWhileInFlight: a payload queued while an older one for the
// same target is claimed (being sent) or waiting for its retry.
func TestEnqueueWhileInFlight(t *testing.T) {
	tests := []struct {
		name  string
		steps []string // "enqueue:<payload>", "send" (the row as is), "claim", "claimed:sent", "claimed:failed"
		state string
		body  string
		due   bool // another sender claiming at t0 would get it
	}{
		{"re-enqueued while claimed stays leased",
			[]string{"enqueue:a", "claim", "enqueue:b"}, store.WritePending, "b", false},
		{"the claimant's stale mark releases the newer payload",
			[]string{"enqueue:a", "claim", "enqueue:b", "claimed:sent"}, store.WritePending, "b", true},
		{"a stale failure releases it too",
			[]string{"enqueue:a", "claim", "enqueue:b", "claimed:failed"}, store.WritePending, "b", true},
		{"reverting while the change is being sent keeps it pending",
			[]string{"enqueue:a", "send", "enqueue:b", "claim", "enqueue:a"}, store.WritePending, "a", false},
		{"reverting after a failed attempt keeps it pending",
			[]string{"enqueue:a", "send", "enqueue:b", "claim", "claimed:failed", "enqueue:a"}, store.WritePending, "a", false},
		{"reverting a change never sent marks it sent",
			[]string{"enqueue:a", "send", "enqueue:b", "enqueue:a"}, store.WriteSent, "a", false},
		{"a new payload waits for the retry time of a failed one",
			[]string{"enqueue:a", "claim", "claimed:failed", "enqueue:b"}, store.WritePending, "b", false},
		{"a lease that ran out is not kept",
			[]string{"enqueue:a", "claim", "later", "enqueue:b"}, store.WritePending, "b", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openOutboxStore(t)
			ctx := t.Context()
			target := outbox.NotionPage("p")
			now := t0
			var claimed store.QueuedWrite
			for _, step := range tt.steps {
				var ok bool
				var err error
				switch {
				case strings.HasPrefix(step, "enqueue:"):
					err = st.InTx(ctx, func(tx *store.Tx) error {
						return tx.EnqueueWrite(ctx, store.Write{Target: target, KRKey: "kr", Payload: []byte(step[len("enqueue:"):])}, now)
					})
					ok = true
				case step == "send":
					w := row(t, st, target.String())
					ok, err = st.MarkWriteSent(ctx, target, w.Seq, now)
				case step == "claim":
					var ws []store.QueuedWrite
					ws, err = st.ClaimWrites(ctx, now, time.Minute, 10)
					if ok = len(ws) == 1; ok {
						claimed = ws[0]
					}
				case step == "claimed:sent":
					_, err = st.MarkWriteSent(ctx, target, claimed.Seq, now)
					ok = true
				case step == "claimed:failed":
					_, err = st.MarkWriteFailed(ctx, target, claimed.Seq, now.Add(10*time.Minute), "503")
					ok = true
				case step == "later":
					now = now.Add(2 * time.Minute)
					ok = true
				}
				if err != nil || !ok {
					t.Fatalf("%s: %v %v", step, ok, err)
				}
			}
			w := row(t, st, target.String())
			if w.State != tt.state || string(w.Payload) != tt.body {
				t.Errorf("state=%s payload=%s, want %s %s", w.State, w.Payload, tt.state, tt.body)
			}
			if tt.state == store.WritePending {
				ws, err := st.ClaimWrites(ctx, now, time.Minute, 10)
				if err != nil {
					t.Fatal(err)
				}
				if due := len(ws) == 1; due != tt.due {
					t.Errorf("claimable by another sender now = %v, want %v (next attempt %s)", due, tt.due, w.NextAttempt)
				}
			}
		})
	}
}
