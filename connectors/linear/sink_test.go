package linear_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/linear"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/sandbox/linearfake"
	"github.com/goalpost/goalpost/secret"
	"github.com/goalpost/goalpost/transport"
	"github.com/goalpost/goalpost/writeback"
)

var (
	_ writeback.Sink          = (*linear.Sink)(nil)
	_ writeback.Describer     = (*linear.Sink)(nil)
	_ writeback.Fingerprinter = (*linear.Sink)(nil)
)

var updateGolden = flag.Bool("update-sink", false, "rewrite the sink's golden files")

const apiKey = "lin_api_SINKTESTKEY0123456789"

const (
	projectID    = "5b0c4c2e-0c35-4d8e-9f5e-1a2b3c4d5e6f"
	initiativeID = "7d1e2f3a-4b5c-4d6e-8f70-819203a4b5c6"
)

type sinkEnv struct {
	fake   *linearfake.Server
	srv    *httptest.Server
	logs   *bytes.Buffer
	mu     sync.Mutex
	sleeps []time.Duration
}

func newSinkEnv(t *testing.T) *sinkEnv {
	t.Helper()
	e := &sinkEnv{fake: linearfake.New(apiKey, linearfake.WithClock(func() time.Time { return sinkNow })), logs: &bytes.Buffer{}}
	e.fake.AddProject(projectID, "Passkeys")
	e.fake.AddInitiative(initiativeID, "Secure accounts")
	e.srv = httptest.NewServer(e.fake)
	t.Cleanup(e.srv.Close)
	return e
}

// sink returns a new Sink (a fresh process) using key.
func (e *sinkEnv) sink(key string) *linear.Sink {
	c := linear.NewClient(e.srv.URL, secret.String(key),
		linear.WithBaseTransport(e.srv.Client().Transport),
		linear.WithTransportOptions(transport.Options{MaxAttempts: 3, MaxWait: time.Minute, Sleep: e.sleep,
			Now: func() time.Time { return sinkNow }}))
	return linear.NewSink(c, slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

func (e *sinkEnv) sleep(ctx context.Context, d time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sleeps = append(e.sleeps, d)
	return ctx.Err()
}

var sinkNow = time.Date(2026, 11, 19, 10, 15, 0, 0, time.UTC)

func sinkResult(status string, at time.Time) rules.Result {
	return rules.Result{
		KRKey: "kr-1", Title: "Ship passkeys", Objective: "Secure accounts", Type: "count",
		Current: 12, Target: 40, Progress: 0.3, Status: status, EvaluatedAt: at, RuleVersion: "v3",
		Evidence: []rules.Evidence{
			{Unit: "acme/api#12", Title: "Add passkey login", URL: "https://github.com/acme/api/pull/12", Actor: "ada", OccurredAt: at.Add(-time.Hour)},
			{Unit: "acme/api#9", Title: "Passkey [storage]", URL: "https://github.com/acme/api/pull/9", OccurredAt: at.AddDate(0, 0, -9)},
		},
		Blocked: []rules.Evidence{{Unit: "ENG-7", Title: "Security review", URL: "https://linear.app/acme/issue/ENG-7"}},
	}
}

func TestSinkOneUpdatePerWeekUnlessStatusChanges(t *testing.T) {
	e := newSinkEnv(t)
	ctx := t.Context()
	target := "linear:project:" + projectID
	s := e.sink(apiKey)
	steps := []struct {
		name    string
		sink    *linear.Sink
		r       rules.Result
		updates int    // updates on the project after the step
		health  string // of the latest update
	}{
		{"first write", s, sinkResult(rules.StatusOnTrack, sinkNow), 1, "onTrack"},
		{"value changed, same week and status", s, func() rules.Result {
			r := sinkResult(rules.StatusOnTrack, sinkNow.Add(time.Hour))
			r.Current = 13
			return r
		}(), 1, "onTrack"},
		{"restarted process, same week and status", e.sink(apiKey), sinkResult(rules.StatusOnTrack, sinkNow.Add(2*time.Hour)), 1, "onTrack"},
		{"status changed", s, sinkResult(rules.StatusAtRisk, sinkNow.Add(3*time.Hour)), 2, "atRisk"},
		{"done maps to on track", s, sinkResult(rules.StatusDone, sinkNow.Add(4*time.Hour)), 3, "onTrack"},
		{"stale writes nothing", s, sinkResult(rules.StatusStale, sinkNow.Add(5*time.Hour)), 3, "onTrack"},
		{"next week", s, sinkResult(rules.StatusDone, sinkNow.AddDate(0, 0, 7)), 4, "onTrack"},
	}
	for _, st := range steps {
		if err := st.sink.Write(ctx, target, st.r); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		ups := e.fake.Updates(projectID)
		if len(ups) != st.updates || ups[len(ups)-1].Health != st.health {
			t.Fatalf("%s: %d updates (latest %+v), want %d with %s", st.name, len(ups), ups[len(ups)-1], st.updates, st.health)
		}
	}
	// The restarted process got "already exists" (an error inside HTTP 200),
	// verified the update exists, and counted it as written.
	if got := e.fake.Requests(); got["projectUpdateCreate"] != 5 || got["projectUpdate"] != 1 {
		t.Errorf("requests = %v, want 5 creates and 1 read-back", got)
	}
	if up := e.fake.Updates(projectID)[0]; up.ID != linear.UpdateID(target, sinkNow, rules.StatusOnTrack) {
		t.Errorf("update id = %s, want the deterministic one", up.ID)
	}
}

func TestSinkInitiativeUpdate(t *testing.T) {
	e := newSinkEnv(t)
	if err := e.sink(apiKey).Write(t.Context(), "linear:initiative:"+initiativeID, sinkResult(rules.StatusOffTrack, sinkNow)); err != nil {
		t.Fatal(err)
	}
	ups := e.fake.Updates(initiativeID)
	if len(ups) != 1 || ups[0].Health != "offTrack" || ups[0].Kind != "initiative" {
		t.Fatalf("updates = %+v", ups)
	}
	golden(t, "sink_update_body.golden", []byte(ups[0].Body))
}

func TestSinkFailures(t *testing.T) {
	tests := []struct {
		name      string
		target    string
		key       string
		faults    []linearfake.Fault
		permanent bool
		wait      time.Duration // the retry hint expected on a retryable error
		ok        bool          // the write succeeds after the transport's retries
		sleeps    string
	}{
		{name: "RATELIMITED in HTTP 400, then fine", ok: true, sleeps: "[30s]",
			faults: []linearfake.Fault{{Kind: "ratelimited", ResetIn: 30 * time.Second}}},
		{name: "RATELIMITED beyond the transport's wait", wait: 10 * time.Minute,
			faults: []linearfake.Fault{{Kind: "ratelimited", ResetIn: 10 * time.Minute}}},
		{name: "internal error inside HTTP 200",
			faults: []linearfake.Fault{{Operation: "projectUpdateCreate", Kind: "internal"}}},
		{name: "503 until attempts run out",
			faults: []linearfake.Fault{{Kind: "http", Status: 503, Times: 5}}},
		{name: "unknown project (error inside HTTP 200)", target: "linear:project:00000000-0000-4000-8000-000000000000", permanent: true},
		{name: "bad API key", key: "lin_api_WRONG_and_private", permanent: true},
		{name: "bad target", target: "linear:issue:ENG-1", permanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSinkEnv(t)
			for _, f := range tt.faults {
				e.fake.Inject(f)
			}
			target, key := "linear:project:"+projectID, apiKey
			if tt.target != "" {
				target = tt.target
			}
			if tt.key != "" {
				key = tt.key
			}
			err := e.sink(key).Write(t.Context(), target, sinkResult(rules.StatusOnTrack, sinkNow))
			if tt.ok {
				if err != nil || len(e.fake.Updates(projectID)) != 1 {
					t.Fatalf("err = %v, updates = %d", err, len(e.fake.Updates(projectID)))
				}
				if fmt.Sprint(e.sleeps) != tt.sleeps {
					t.Errorf("waits = %v, want %s", e.sleeps, tt.sleeps)
				}
				return
			}
			if err == nil || writeback.IsPermanent(err) != tt.permanent {
				t.Fatalf("err = %v, permanent = %v, want permanent = %v", err, writeback.IsPermanent(err), tt.permanent)
			}
			var w interface{ Wait() time.Duration }
			if tt.wait > 0 && (!errors.As(err, &w) || w.Wait() != tt.wait) {
				t.Errorf("err = %v, want a wait of %s", err, tt.wait)
			}
			for _, secret := range []string{apiKey, tt.key} {
				if secret != "" && (strings.Contains(err.Error(), secret) || strings.Contains(e.logs.String(), secret)) {
					t.Error("API key leaked")
				}
			}
		})
	}
}

func TestSinkDescribe(t *testing.T) {
	e := newSinkEnv(t)
	s := e.sink(apiKey)
	got, err := s.Describe("linear:project:"+projectID, sinkResult(rules.StatusAtRisk, sinkNow))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("projectUpdateCreate projectId=%s id=%s health=atRisk body=%q", projectID,
		linear.UpdateID("linear:project:"+projectID, sinkNow, rules.StatusAtRisk), "**Current 12 / Target 40** · 30% · at risk")
	if got != want {
		t.Errorf("Describe = %s\nwant       %s", got, want)
	}
	if len(e.fake.Requests()) != 0 {
		t.Error("Describe sent requests")
	}
	if a, b := s.Fingerprint(), e.sink("lin_api_other").Fingerprint(); a == b || strings.Contains(a, apiKey) {
		t.Errorf("fingerprints %q and %q", a, b)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Sink -update-sink)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}
