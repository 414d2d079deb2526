package writeback_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/goalpost/goalpost/writeback/outbox"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/linear"
	"github.com/goalpost/goalpost/internal/sandbox/linearfake"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback"
)

const linearKey = "lin_api_writeback_test_key"

func TestNotionAndLinearTogether(t *testing.T) {
	co, st, clk := newCompany(t, 1), openStore(t, ""), newClock()
	lf := linearfake.New(linearKey, linearfake.WithClock(clk.Now))
	lf.AddProject("proj-1", "Passkeys")
	lf.AddInitiative("init-1", "Secure accounts")
	lsrv := httptest.NewServer(lf)
	t.Cleanup(lsrv.Close)
	var sleeps []time.Duration
	lc := linear.NewClient(lsrv.URL, linearKey, linear.WithBaseTransport(lsrv.Client().Transport),
		linear.WithTransportOptions(transport.Options{MaxWait: time.Minute, Now: clk.Now,
			Sleep: func(ctx context.Context, d time.Duration) error { sleeps = append(sleeps, d); return ctx.Err() }}))
	s := writeback.New(st, map[string]writeback.Sink{
		"notion": co.sink(t, nil, 1000, nil),
		"linear": linear.NewSink(lc, nil),
	}, nil, writeback.WithClock(clk.Now))
	ctx := t.Context()

	r := krResult(0, 8, clk.Now())
	body, _ := r.Encode()
	err := st.InTx(ctx, func(tx *store.Tx) error {
		for _, target := range []outbox.Target{outbox.NotionPage(co.pages[0]), outbox.LinearProject("proj-1"), outbox.LinearInitiative("init-1")} {
			if err := tx.EnqueueWrite(ctx, store.Write{Target: target, KRKey: r.KRKey, Payload: body}, clk.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	lf.RateLimitNext(1, 20*time.Second)                                                // RATELIMITED in HTTP 400: waited out by the transport
	lf.Inject(linearfake.Fault{Operation: "initiativeUpdateCreate", Kind: "internal"}) // error inside HTTP 200: retried by the outbox
	var fe *writeback.FailedError
	if err := s.Flush(ctx); !errors.As(err, &fe) || fe.Retrying != 1 {
		t.Fatalf("err = %v, want the initiative update retrying", err)
	}
	if len(lf.Updates("proj-1")) != 1 || len(sleeps) != 1 || sleeps[0] != 20*time.Second {
		t.Fatalf("project updates = %d, waits = %v", len(lf.Updates("proj-1")), sleeps)
	}
	clk.Add(time.Minute)
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if ups := lf.Updates("init-1"); len(ups) != 1 || ups[0].Health != "onTrack" {
		t.Fatalf("initiative updates = %+v", ups)
	}
	if p, _ := co.fake.Page(co.pages[0]); p.Props["Current"] != 8.0 {
		t.Errorf("notion page = %v", p.Props)
	}
	// The same key result re-evaluated later the same week with a new value:
	// the Notion page is updated, Linear keeps its one update for the week.
	r2 := krResult(0, 9, clk.Now())
	body, _ = r2.Encode()
	_ = st.InTx(ctx, func(tx *store.Tx) error {
		_ = tx.EnqueueWrite(ctx, store.Write{Target: outbox.NotionPage(co.pages[0]), KRKey: r2.KRKey, Payload: body}, clk.Now())
		return tx.EnqueueWrite(ctx, store.Write{Target: outbox.LinearProject("proj-1"), KRKey: r2.KRKey, Payload: body}, clk.Now())
	})
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(lf.Updates("proj-1")); n != 1 {
		t.Errorf("project updates = %d, want still 1 this week", n)
	}
	if p, _ := co.fake.Page(co.pages[0]); p.Props["Current"] != 9.0 {
		t.Errorf("notion page = %v", p.Props)
	}
}

// A key result going on track → at risk → on track within a week shows as
// three Linear updates through the outbox, a lost answer retried by the
// outbox adds none, and neither does a restarted sender re-sending the
// same status with a new value.
func TestLinearStatusChangesThroughOutbox(t *testing.T) {
	st, clk := openStore(t, ""), newClock()
	lf := linearfake.New(linearKey, linearfake.WithClock(clk.Now))
	lf.AddProject("proj-1", "Passkeys")
	lsrv := httptest.NewServer(lf)
	t.Cleanup(lsrv.Close)
	sender := func() *writeback.Sender {
		lc := linear.NewClient(lsrv.URL, linearKey, linear.WithBaseTransport(lsrv.Client().Transport),
			linear.WithTransportOptions(transport.Options{MaxAttempts: 2, MaxWait: time.Minute, Now: clk.Now,
				Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }}))
		return writeback.New(st, map[string]writeback.Sink{"linear": linear.NewSink(lc, nil)}, nil, writeback.WithClock(clk.Now))
	}
	s := sender()
	lost := []linearfake.Fault{
		{Operation: "projectUpdateCreate", Kind: "lost", Times: 2},
		{Operation: "projectUpdate", Kind: "lost", Times: 2},
	}
	steps := []struct {
		name    string
		status  string
		current float64
		faults  []linearfake.Fault
		restart bool
		retry   bool // the flush leaves the write retrying; a later flush sends it
		healths string
	}{
		{name: "on track", status: rules.StatusOnTrack, current: 8, healths: "[onTrack]"},
		{name: "at risk, answer lost until the outbox retries", status: rules.StatusAtRisk, current: 8, faults: lost, retry: true, healths: "[onTrack atRisk]"},
		{name: "on track again", status: rules.StatusOnTrack, current: 9, healths: "[onTrack atRisk onTrack]"},
		{name: "on track, new value, restarted sender", status: rules.StatusOnTrack, current: 10, restart: true, healths: "[onTrack atRisk onTrack]"},
	}
	for _, stp := range steps {
		clk.Add(time.Hour)
		if stp.restart {
			s = sender()
		}
		for _, f := range stp.faults {
			lf.Inject(f)
		}
		r := krResult(0, stp.current, clk.Now())
		r.Status = stp.status
		body, _ := r.Encode()
		err := st.InTx(t.Context(), func(tx *store.Tx) error {
			return tx.EnqueueWrite(t.Context(), store.Write{Target: outbox.LinearProject("proj-1"), KRKey: r.KRKey, Payload: body}, clk.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Flush(t.Context())
		var fe *writeback.FailedError
		if stp.retry {
			if !errors.As(err, &fe) || fe.Retrying != 1 {
				t.Fatalf("%s: err = %v, want the write retrying", stp.name, err)
			}
			clk.Add(time.Hour)
			err = s.Flush(t.Context())
		}
		if err != nil {
			t.Fatalf("%s: %v", stp.name, err)
		}
		var healths []string
		for _, u := range lf.Updates("proj-1") {
			healths = append(healths, u.Health)
		}
		if fmt.Sprint(healths) != stp.healths {
			t.Fatalf("%s: healths = %v, want %s", stp.name, healths, stp.healths)
		}
	}
}
