package writeback_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/asana"
	"github.com/goalpost/goalpost/internal/sandbox/asanafake"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback"
	"github.com/goalpost/goalpost/writeback/outbox"
)

const asanaToken = "asana-writeback-test-token"

// An Asana goal receives its metric value and one status update per
// change, none when nothing changed, and after an outage of the service one
// write with the latest value (the outbox coalesces what queued meanwhile).
func TestAsanaGoalThroughOutbox(t *testing.T) {
	st, clk := openStore(t, ""), newClock()
	af := asanafake.New(asanaToken, asanafake.WithClock(clk.Now))
	af.AddGoal("7001")
	srv := httptest.NewServer(af)
	t.Cleanup(srv.Close)
	c := asana.NewClient(srv.URL, secret.String(asanaToken), 0, asana.WithBaseTransport(srv.Client().Transport),
		asana.WithTransportOptions(transport.Options{MaxAttempts: 2, MaxWait: time.Minute, Now: clk.Now,
			Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }}))
	s := writeback.New(st, map[string]writeback.Sink{"asana": asana.NewSink(c, nil)}, nil, writeback.WithClock(clk.Now))
	enqueue := func(current float64, status string) {
		r := krResult(0, current, clk.Now())
		r.Status = status
		body, _ := r.Encode()
		err := st.InTx(t.Context(), func(tx *store.Tx) error {
			return tx.EnqueueWrite(t.Context(), store.Write{Target: outbox.AsanaGoal("7001"), KRKey: r.KRKey, Payload: body}, clk.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name     string
		current  []float64 // queued in order before the flush
		status   string
		down     bool
		retry    bool
		metric   float64
		statuses []string
	}{
		{name: "first value creates the metric", current: []float64{3}, status: rules.StatusOnTrack, metric: 3, statuses: []string{"on_track"}},
		{name: "same again: nothing posted", current: []float64{3}, status: rules.StatusOnTrack, metric: 3, statuses: []string{"on_track"}},
		{name: "at risk", current: []float64{4}, status: rules.StatusAtRisk, metric: 4, statuses: []string{"on_track", "at_risk"}},
		{name: "outage: three changes coalesce into one", current: []float64{5, 6, 7}, status: rules.StatusOnTrack, down: true, retry: true,
			metric: 7, statuses: []string{"on_track", "at_risk", "on_track"}},
		{name: "done", current: []float64{8}, status: rules.StatusDone, metric: 8, statuses: []string{"on_track", "at_risk", "on_track", "achieved"}},
	}
	for _, stp := range steps {
		clk.Add(time.Hour)
		af.SetDown(stp.down)
		for _, v := range stp.current {
			enqueue(v, stp.status)
			if stp.down {
				var fe *writeback.FailedError
				if err := s.Flush(t.Context()); !errors.As(err, &fe) {
					t.Fatalf("%s: flush during outage: %v", stp.name, err)
				}
				clk.Add(time.Hour)
			}
		}
		af.SetDown(false)
		if err := s.Flush(t.Context()); err != nil {
			t.Fatalf("%s: %v", stp.name, err)
		}
		g, _ := af.Goal("7001")
		var types []string
		for _, u := range g.StatusUpdates {
			types = append(types, u.StatusType)
		}
		if !g.HasMetric || g.Current != stp.metric || g.Target != 40 || len(types) != len(stp.statuses) {
			t.Fatalf("%s: metric %v current %v target %v, updates %v, want %v and %v", stp.name, g.HasMetric, g.Current, g.Target, types, stp.metric, stp.statuses)
		}
		for i := range types {
			if types[i] != stp.statuses[i] {
				t.Fatalf("%s: updates %v, want %v", stp.name, types, stp.statuses)
			}
		}
	}
	if n := af.Requests("POST /goals/7001/setMetric"); n != 1 {
		t.Errorf("setMetric called %d times, want once (then setMetricCurrentValue)", n)
	}
}
