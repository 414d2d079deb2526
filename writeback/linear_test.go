package writeback_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/linear"
	"github.com/goalpost/goalpost/sandbox/linearfake"
	"github.com/goalpost/goalpost/store"
	"github.com/goalpost/goalpost/transport"
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
	r.LinearProject, r.LinearInitiative = "proj-1", "init-1"
	body, _ := json.Marshal(r)
	err := st.InTx(ctx, func(tx *store.Tx) error {
		for _, target := range []string{"notion:page:" + co.pages[0], "linear:project:proj-1", "linear:initiative:init-1"} {
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
	body, _ = json.Marshal(r2)
	_ = st.InTx(ctx, func(tx *store.Tx) error {
		_ = tx.EnqueueWrite(ctx, store.Write{Target: "notion:page:" + co.pages[0], KRKey: r2.KRKey, Payload: body}, clk.Now())
		return tx.EnqueueWrite(ctx, store.Write{Target: "linear:project:proj-1", KRKey: r2.KRKey, Payload: body}, clk.Now())
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
