package writeback_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/goalpost/goalpost/writeback/outbox"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/internal/sandbox/notionfake"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/store/storetest"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback"
)

const notionToken = "secret_n0tion_T0KEN_never_print_me"

// company is a fake Notion with a database of key-result pages.
type company struct {
	fake  *notionfake.Server
	srv   *httptest.Server
	db    string
	pages []string // page ids, one per key result
}

func newCompany(tb testing.TB, krs int, opts ...notionfake.Option) *company {
	tb.Helper()
	c := &company{fake: notionfake.New(notionToken, opts...)}
	c.srv = httptest.NewServer(c.fake)
	tb.Cleanup(c.srv.Close)
	db, err := c.fake.AddDatabase("", "Key results", notionfake.GoalsSchema())
	if err != nil {
		tb.Fatal(err)
	}
	c.db = db
	for i := range krs {
		id, err := c.fake.AddPage(db, map[string]any{"Name": fmt.Sprintf("KR %d", i), "Key": krKey(i)})
		if err != nil {
			tb.Fatal(err)
		}
		c.pages = append(c.pages, id)
	}
	return c
}

func krKey(i int) string { return fmt.Sprintf("kr-%03d", i) }

// sink returns a Notion sink for the company, logging to log and recording
// the transport's waits in sleeps (when not nil).
func (c *company) sink(tb testing.TB, log *slog.Logger, rps float64, sleeps *[]time.Duration) *notion.Sink {
	tb.Helper()
	var opts []notion.Option
	if sleeps != nil {
		opts = append(opts, notion.WithSleep(func(ctx context.Context, d time.Duration) error {
			*sleeps = append(*sleeps, d)
			return ctx.Err()
		}))
	}
	s, err := notion.NewSink(&notion.Config{BaseURL: c.srv.URL + "/v1/", Token: secret.String(notionToken), RequestsPerSecond: rps},
		c.srv.Client(), log, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func krResult(i int, current float64, at time.Time) outbox.Update {
	return outbox.Update{
		KRKey: krKey(i), Title: fmt.Sprintf("KR %d", i), Type: "count", Current: current, Target: 40,
		Progress: current / 40, Status: rules.StatusOnTrack, EvaluatedAt: at, RuleVersion: "v1",
		Evidence: []outbox.Evidence{{EventID: "e", Unit: "acme/api#1", Title: "Ship it", URL: "https://github.com/acme/api/pull/1", OccurredAt: at}},
	}
}

// enqueueKR queues the write the engine would queue for key result i.
func (c *company) enqueueKR(tb testing.TB, st *store.Store, i int, r outbox.Update, now time.Time) {
	tb.Helper()
	body, _ := r.Encode()
	err := st.InTx(tb.Context(), func(tx *store.Tx) error {
		return tx.EnqueueWrite(tb.Context(), store.Write{Target: outbox.NotionPage(c.pages[i]), KRKey: r.KRKey, Payload: body}, now)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func TestNotionHundredKRsTenChanged(t *testing.T) {
	co, st, clk := newCompany(t, 100), openStore(t, ""), newClock()
	s := writeback.New(st, map[string]writeback.Sink{"notion": co.sink(t, nil, 1000, nil)}, nil, writeback.WithClock(clk.Now))
	ctx := t.Context()
	evalAt := clk.Now()
	for i := range 100 {
		co.enqueueKR(t, st, i, krResult(i, 1, evalAt), clk.Now())
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := co.fake.Count("PATCH /v1/pages/{id}"); got != 100 {
		t.Fatalf("first sync: %d page updates, want 100", got)
	}
	first := co.fake.Requests()

	// The engine re-evaluates: nothing changed → nothing queued anew, nothing sent.
	co.fake.ResetRequests()
	for i := range 100 {
		co.enqueueKR(t, st, i, krResult(i, 1, evalAt), clk.Now())
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := co.fake.Requests(); len(got) != 0 {
		t.Fatalf("nothing changed, but requests = %v", got)
	}

	// Ten of a hundred change → ten page updates.
	clk.Add(time.Minute)
	for i := 0; i < 100; i += 10 {
		co.enqueueKR(t, st, i, krResult(i, 2, clk.Now()), clk.Now())
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := co.fake.Requests()
	if got["PATCH /v1/pages/{id}"] != 10 || got["PATCH /v1/blocks/{id}"] != 10 || len(got) != 2 {
		t.Fatalf("ten changed: requests = %v, want 10 page and 10 check-in updates", got)
	}
	for i := 0; i < 100; i++ {
		p, _ := co.fake.Page(co.pages[i])
		want := 1.0
		if i%10 == 0 {
			want = 2
		}
		if p.Props["Current"] != want {
			t.Fatalf("page %d Current = %v, want %v", i, p.Props["Current"], want)
		}
	}
	t.Logf("requests for 100 KRs, first sync (cold caches): %v", first)
	t.Logf("requests for 100 KRs with 10 changed: %v", got)
}

func TestNotionRateLimitHonoured(t *testing.T) {
	co, st, clk := newCompany(t, 1), openStore(t, ""), newClock()
	var sleeps []time.Duration
	s := writeback.New(st, map[string]writeback.Sink{"notion": co.sink(t, nil, 1000, &sleeps)}, nil, writeback.WithClock(clk.Now))
	co.fake.RateLimitNext(2, 3)
	co.enqueueKR(t, st, 0, krResult(0, 5, clk.Now()), clk.Now())
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sleeps) != "[3s 3s]" {
		t.Errorf("waits = %v, want [3s 3s] (Retry-After)", sleeps)
	}
	// A Retry-After beyond what the transport waits in place reschedules the write.
	co.fake.Inject(notionfake.Fault{Status: 429, RetryAfter: ptr(600)})
	co.enqueueKR(t, st, 0, krResult(0, 6, clk.Now()), clk.Now())
	var fe *writeback.FailedError
	if err := s.Flush(t.Context()); !errors.As(err, &fe) || fe.Retrying != 1 {
		t.Fatalf("err = %v", err)
	}
	ws, _ := st.ListWrites(t.Context())
	if d := ws[0].NextAttempt.Sub(clk.Now()); d != 10*time.Minute {
		t.Errorf("retry in %s, want 10m (Retry-After: 600)", d)
	}
}

func ptr[T any](v T) *T { return &v }

func TestNotionPermanentErrorsParked(t *testing.T) {
	co, st, clk := newCompany(t, 4), openStore(t, ""), newClock()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := writeback.New(st, map[string]writeback.Sink{"notion": co.sink(t, log, 1000, nil)}, log, writeback.WithClock(clk.Now))
	_ = co.fake.Trash(co.pages[1])
	_ = co.fake.SetShared(co.pages[2], false)
	bad := krResult(3, 1, clk.Now())
	bad.Status = "unknown"
	for i, r := range []outbox.Update{krResult(0, 1, clk.Now()), krResult(1, 1, clk.Now()), krResult(2, 1, clk.Now()), bad} {
		co.enqueueKR(t, st, i, r, clk.Now())
	}
	var fe *writeback.FailedError
	if err := s.Flush(t.Context()); !errors.As(err, &fe) || fe.Parked != 3 {
		t.Fatalf("err = %v, want 3 parked", err)
	}
	var status bytes.Buffer
	if err := s.WriteStatus(t.Context(), &status); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"in the trash", "object_not_found", `unknown status "unknown"`, "1 sent"} {
		if !strings.Contains(status.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, status.String())
		}
	}
	if p, _ := co.fake.Page(co.pages[1]); !p.Trashed || co.fake.Restores() != 0 {
		t.Error("the trashed page was restored")
	}
	for name, text := range map[string]string{"logs": logs.String(), "status": status.String(), "error": fmt.Sprint(fe)} {
		if strings.Contains(text, notionToken) || strings.Contains(text, "n0tion_T0KEN") {
			t.Errorf("token found in %s", name)
		}
	}
}

// TestNotionMissingStatusOptionIsNotParked: the database's Status is a
// `status` property without "On track" (Notion's API cannot add one). The
// write is not parked: the other properties land, Status is left as it is,
// and the missing option is logged (connectors/notion names it).
func TestNotionMissingStatusOptionIsNotParked(t *testing.T) {
	co, st, clk := newCompany(t, 0), openStore(t, ""), newClock()
	schema := notionfake.GoalsSchema()
	schema["Status"] = notionfake.Prop{Type: notionfake.Status, Options: []string{"Not started", "Done"}}
	db, err := co.fake.AddDatabase("", "Other KRs", schema)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := co.fake.AddPage(db, map[string]any{"Name": "KR"})
	co.pages = append(co.pages, id)
	s := writeback.New(st, map[string]writeback.Sink{"notion": co.sink(t, nil, 1000, nil)}, nil, writeback.WithClock(clk.Now))
	co.enqueueKR(t, st, 0, krResult(0, 1, clk.Now()), clk.Now())
	if err := s.Flush(t.Context()); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if ws, _ := st.ListWrites(t.Context(), store.WriteParked); len(ws) != 0 {
		t.Fatalf("parked = %+v", ws)
	}
	if p, _ := co.fake.Page(id); p.Props["Current"] == nil || p.Props["Status"] != nil {
		t.Errorf("page props %v: want Current written and Status untouched", p.Props)
	}
}

func TestNotionBadTokenNeverLeaks(t *testing.T) {
	co, st, clk := newCompany(t, 1), openStore(t, ""), newClock()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	const wrong = "secret_WRONG_token_also_private"
	sink, err := notion.NewSink(&notion.Config{BaseURL: co.srv.URL + "/v1/", Token: wrong, RequestsPerSecond: 1000}, co.srv.Client(), log)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("sink configured", "token", secret.String(wrong)) // even a careless log line is redacted
	s := writeback.New(st, map[string]writeback.Sink{"notion": sink}, log, writeback.WithClock(clk.Now))
	co.enqueueKR(t, st, 0, krResult(0, 1, clk.Now()), clk.Now())
	flushErr := s.Flush(t.Context())
	var status bytes.Buffer
	_ = s.WriteStatus(t.Context(), &status)
	if !strings.Contains(status.String(), "unauthorized") {
		t.Errorf("status does not show the 401:\n%s", status.String())
	}
	for name, text := range map[string]string{"logs": logs.String(), "status": status.String(), "error": fmt.Sprint(flushErr)} {
		if strings.Contains(text, wrong) || strings.Contains(text, notionToken) {
			t.Errorf("token found in %s: %s", name, text)
		}
	}
}

// TestNotionCrashRecovery: the store commit happened, the process died
// before (or during, or right after) the write. After reopening the SQLite
// file, a new Sender makes the write, and the page ends up as if written
// once (same properties, one check-in block).
func TestNotionCrashRecovery(t *testing.T) {
	tests := []struct {
		name  string
		crash func(t *testing.T, co *company, st *store.Store, clk *clock)
		wait  time.Duration // clock advance after restart
	}{
		{name: "before the claim", crash: func(*testing.T, *company, *store.Store, *clock) {}},
		{name: "after the claim, before the send", wait: 2 * time.Minute,
			crash: func(t *testing.T, co *company, st *store.Store, clk *clock) {
				if ws, err := st.ClaimWrites(t.Context(), clk.Now(), 2*time.Minute, 10); err != nil || len(ws) != 1 {
					t.Fatalf("claim: %v %v", ws, err)
				}
			}},
		{name: "after the send, before recording it", wait: 2 * time.Minute,
			crash: func(t *testing.T, co *company, st *store.Store, clk *clock) {
				ws, err := st.ClaimWrites(t.Context(), clk.Now(), 2*time.Minute, 10)
				if err != nil || len(ws) != 1 {
					t.Fatalf("claim: %v %v", ws, err)
				}
				r, _ := outbox.DecodeUpdate(ws[0].Payload)
				if err := co.sink(t, nil, 1000, nil).Write(t.Context(), ws[0].Target, r); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			co, clk := newCompany(t, 1), newClock()
			path := filepath.Join(t.TempDir(), "goalpost.db")
			st := storetest.Open(t, path)
			co.enqueueKR(t, st, 0, krResult(0, 7, clk.Now()), clk.Now())
			tt.crash(t, co, st, clk)
			_ = st.Close() // the process dies here

			clk.Add(tt.wait)
			st2 := openStore(t, path)
			s := writeback.New(st2, map[string]writeback.Sink{"notion": co.sink(t, nil, 1000, nil)}, nil, writeback.WithClock(clk.Now))
			if err := s.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			p, _ := co.fake.Page(co.pages[0])
			if p.Props["Current"] != 7.0 {
				t.Fatalf("after restart Current = %v, want 7", p.Props["Current"])
			}
			if blocks := co.fake.Children(co.pages[0]); len(blocks) != 1 {
				t.Errorf("check-in blocks = %d, want 1 (once in effect)", len(blocks))
			}
			if got := states(t, st2); got[outbox.NotionPage(co.pages[0]).String()] != store.WriteSent {
				t.Errorf("state = %v", got)
			}
		})
	}
}

func TestNotionDryRun(t *testing.T) {
	co, st, clk := newCompany(t, 2), openStore(t, ""), newClock()
	var out bytes.Buffer
	s := writeback.New(st, map[string]writeback.Sink{"notion": co.sink(t, nil, 1000, nil)}, nil,
		writeback.WithClock(clk.Now), writeback.WithDryRun(&out))
	co.enqueueKR(t, st, 0, krResult(0, 3, clk.Now()), clk.Now())
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := co.fake.Requests(); len(got) != 0 {
		t.Errorf("dry run sent requests: %v", got)
	}
	if !strings.Contains(out.String(), "PATCH /v1/pages/"+co.pages[0]+" Current=3 Target=40") {
		t.Errorf("dry run output: %s", out.String())
	}
}
