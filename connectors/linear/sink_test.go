package linear_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/goalpost/goalpost/writeback/outbox"
	"log/slog"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/linear"
	"github.com/goalpost/goalpost/internal/sandbox/linearfake"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/rules"
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
	clock  time.Time // the fake's and the transport's, sinkNow unless set
}

func newSinkEnv(t *testing.T, opts ...linearfake.Option) *sinkEnv {
	t.Helper()
	e := &sinkEnv{logs: &bytes.Buffer{}, clock: sinkNow}
	e.fake = linearfake.New(apiKey, append(opts, linearfake.WithClock(e.now))...)
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
		linear.WithTransportOptions(transport.Options{MaxAttempts: 3, MaxWait: time.Minute, Sleep: e.sleep, Now: e.now}))
	return linear.NewSink(c, slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

func (e *sinkEnv) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.clock
}

func (e *sinkEnv) set(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clock = t
}

func (e *sinkEnv) sleep(ctx context.Context, d time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sleeps = append(e.sleeps, d)
	return ctx.Err()
}

var sinkNow = time.Date(2026, 11, 19, 10, 15, 0, 0, time.UTC)

func sinkResult(status string, at time.Time) outbox.Update {
	return outbox.Update{
		KRKey: "kr-1", Title: "Ship passkeys", Objective: "Secure accounts", Type: "count",
		Current: 12, Target: 40, Progress: 0.3, Status: status, EvaluatedAt: at, RuleVersion: "v3",
		Evidence: []outbox.Evidence{
			{Unit: "acme/api#12", Title: "Add passkey login", URL: "https://github.com/acme/api/pull/12", Actor: "ada", OccurredAt: at.Add(-time.Hour)},
			{Unit: "acme/api#9", Title: "Passkey [storage]", URL: "https://github.com/acme/api/pull/9", OccurredAt: at.AddDate(0, 0, -9)},
		},
		Blocked: []outbox.Evidence{{Unit: "ENG-7", Title: "Security review", URL: "https://linear.app/acme/issue/ENG-7"}},
	}
}

// sinkWrite is one Write in a scenario, at sinkNow+at (the fake's clock too).
type sinkWrite struct {
	status string
	at     time.Duration
	fresh  bool               // through a new Sink: a restarted process
	faults []linearfake.Fault // injected before the write
	fails  bool               // the write returns a retryable error
}

func TestSinkOneUpdatePerWeekUnlessStatusChanges(t *testing.T) {
	const (
		on, at, off, done, stale = rules.StatusOnTrack, rules.StatusAtRisk, rules.StatusOffTrack, rules.StatusDone, rules.StatusStale
		week                     = 7 * 24 * time.Hour
	)
	lost := func(op string, n int) []linearfake.Fault {
		return []linearfake.Fault{{Operation: op, Kind: "lost", Times: n}}
	}
	type reqs = map[string]int
	tests := []struct {
		name     string
		initiate bool                // write to the initiative, not the project
		opts     []linearfake.Option // of the fake
		seed     []linearfake.Update // updates posted by someone else first
		writes   []sinkWrite
		healths  string // of the target's updates, in the order posted
		requests reqs   // by operation, all writes together
	}{
		{name: "on, at, on within a week: three updates, the repeat skipped",
			writes:  []sinkWrite{{status: on}, {status: at, at: time.Hour}, {status: on, at: 2 * time.Hour}, {status: on, at: 3 * time.Hour}},
			healths: "[onTrack atRisk onTrack]", requests: reqs{"project": 4, "projectUpdateCreate": 3}},
		{name: "on, on within a week, across a restart: one update",
			writes:  []sinkWrite{{status: on}, {status: on, at: time.Hour}, {status: on, at: 2 * time.Hour, fresh: true}},
			healths: "[onTrack]", requests: reqs{"project": 3, "projectUpdateCreate": 1}},
		{name: "on track, then done: same health, new status, new update",
			writes:  []sinkWrite{{status: on}, {status: done, at: time.Hour}, {status: done, at: 2 * time.Hour}},
			healths: "[onTrack onTrack]", requests: reqs{"project": 3, "projectUpdateCreate": 2}},
		{name: "answer lost, create retried by the transport: no duplicate",
			writes:  []sinkWrite{{status: on, faults: lost("projectUpdateCreate", 1)}},
			healths: "[onTrack]", requests: reqs{"project": 1, "projectUpdateCreate": 2, "projectUpdate": 1}},
		{name: "answer lost after a status change: no duplicate",
			writes:  []sinkWrite{{status: on}, {status: at, at: time.Hour, faults: lost("projectUpdateCreate", 1)}},
			healths: "[onTrack atRisk]", requests: reqs{"project": 2, "projectUpdateCreate": 3, "projectUpdate": 1}},
		{name: "connection lost after the create until the outbox retries after a restart: no duplicate",
			writes: []sinkWrite{
				{status: at, faults: append(lost("projectUpdateCreate", 3), lost("projectUpdate", 3)...), fails: true},
				{status: at, at: time.Minute, fresh: true},
			},
			healths: "[atRisk]", requests: reqs{"project": 2, "projectUpdateCreate": 3, "projectUpdate": 3}},
		{name: "a new week: a new update with the same status",
			writes:  []sinkWrite{{status: on}, {status: on, at: week}, {status: on, at: week + time.Hour}},
			healths: "[onTrack onTrack]", requests: reqs{"project": 3, "projectUpdateCreate": 2}},
		{name: "stale results are skipped without a request",
			writes:  []sinkWrite{{status: stale}, {status: off, at: time.Hour}, {status: stale, at: 2 * time.Hour}},
			healths: "[offTrack]", requests: reqs{"project": 1, "projectUpdateCreate": 1}},
		{name: "someone else's update with another health: ours follows it",
			seed:    []linearfake.Update{{ParentID: projectID, Health: "atRisk", Body: "Waiting on security review."}},
			writes:  []sinkWrite{{status: on, at: time.Hour}, {status: on, at: 2 * time.Hour}},
			healths: "[atRisk onTrack]", requests: reqs{"project": 2, "projectUpdateCreate": 1}},
		{name: "someone else's update with the same health this week: nothing to add",
			seed:    []linearfake.Update{{ParentID: projectID, Health: "onTrack", Body: "All good."}},
			writes:  []sinkWrite{{status: on, at: time.Hour}},
			healths: "[onTrack]", requests: reqs{"project": 1}},
		{name: "an update from last week with the same status: a new one",
			seed:    []linearfake.Update{{ParentID: projectID, Health: "onTrack", Body: "**Current 3 / Target 40** · 8% · on track", CreatedAt: sinkNow.Add(-week)}},
			writes:  []sinkWrite{{status: on}},
			healths: "[onTrack onTrack]", requests: reqs{"project": 1, "projectUpdateCreate": 1}},
		{name: "connections answered oldest first: lastUpdate still finds the newest",
			opts:    []linearfake.Option{linearfake.WithOldestFirst()},
			writes:  []sinkWrite{{status: on}, {status: at, at: time.Hour}, {status: on, at: 2 * time.Hour}, {status: on, at: 3 * time.Hour}},
			healths: "[onTrack atRisk onTrack]", requests: reqs{"project": 4, "projectUpdateCreate": 3}},
		{name: "initiative: on, at, on, on",
			initiate: true,
			writes:   []sinkWrite{{status: on}, {status: at, at: time.Hour}, {status: on, at: 2 * time.Hour}, {status: on, at: 3 * time.Hour}},
			healths:  "[onTrack atRisk onTrack]", requests: reqs{"initiative": 4, "initiativeUpdateCreate": 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSinkEnv(t, tt.opts...)
			target, parent := outbox.LinearProject(projectID), projectID
			if tt.initiate {
				target, parent = outbox.LinearInitiative(initiativeID), initiativeID
			}
			for _, u := range tt.seed {
				e.fake.AddUpdate(u)
			}
			s := e.sink(apiKey)
			for i, w := range tt.writes {
				if w.fresh {
					s = e.sink(apiKey)
				}
				for _, f := range w.faults {
					e.fake.Inject(f)
				}
				e.set(sinkNow.Add(w.at))
				err := s.Write(t.Context(), target, sinkResult(w.status, sinkNow.Add(w.at)))
				if w.fails != (err != nil) || writeback.IsPermanent(err) {
					t.Fatalf("write %d (%s): err = %v, want failure %v (retryable)", i, w.status, err, w.fails)
				}
			}
			var healths []string
			for _, u := range e.fake.Updates(parent) {
				healths = append(healths, u.Health)
			}
			if fmt.Sprint(healths) != tt.healths {
				t.Errorf("healths = %v, want %s", healths, tt.healths)
			}
			if got := e.fake.Requests(); !maps.Equal(got, tt.requests) {
				t.Errorf("requests = %v, want %v", got, tt.requests)
			}
		})
	}
}

// Each update's id derives from the target, week, status and the update it
// follows, so a status that comes back gets a new id.
func TestSinkUpdateIDs(t *testing.T) {
	e := newSinkEnv(t)
	target := outbox.LinearProject(projectID)
	s := e.sink(apiKey)
	statuses := []string{rules.StatusOnTrack, rules.StatusAtRisk, rules.StatusOnTrack}
	for i, st := range statuses {
		at := sinkNow.Add(time.Duration(i) * time.Hour)
		e.set(at)
		if err := s.Write(t.Context(), target, sinkResult(st, at)); err != nil {
			t.Fatal(err)
		}
	}
	after := ""
	for i, u := range e.fake.Updates(projectID) {
		want := linear.UpdateID(target, sinkNow.Add(time.Duration(i)*time.Hour), statuses[i], after)
		if u.ID != want {
			t.Errorf("update %d: id %s, want %s", i, u.ID, want)
		}
		if u.ID[14] != '4' || !strings.ContainsRune("89ab", rune(u.ID[19])) {
			t.Errorf("update %d: id %s is not laid out as a UUID v4", i, u.ID)
		}
		after = u.ID
	}
	if a, b := linear.UpdateID(target, sinkNow, rules.StatusOnTrack, ""), linear.UpdateID(target, sinkNow.AddDate(0, 0, 7), rules.StatusOnTrack, ""); a == b {
		t.Error("same id in two weeks")
	}
}

func TestSinkInitiativeUpdate(t *testing.T) {
	e := newSinkEnv(t)
	if err := e.sink(apiKey).Write(t.Context(), outbox.LinearInitiative(initiativeID), sinkResult(rules.StatusOffTrack, sinkNow)); err != nil {
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
		target    outbox.Target
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
		{name: "unknown project (error inside HTTP 200)", target: outbox.LinearProject("00000000-0000-4000-8000-000000000000"), permanent: true},
		{name: "bad API key", key: "lin_api_WRONG_and_private", permanent: true},
		{name: "bad target", target: outbox.Target{Service: outbox.ServiceLinear, Kind: "issue", ID: "ENG-1"}, permanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSinkEnv(t)
			for _, f := range tt.faults {
				e.fake.Inject(f)
			}
			target, key := outbox.LinearProject(projectID), apiKey
			if !tt.target.IsZero() {
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
	got, err := s.Describe(outbox.LinearProject(projectID), sinkResult(rules.StatusAtRisk, sinkNow))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("projectUpdateCreate projectId=%s health=atRisk body=%q unless the latest update shows At risk this week",
		projectID, "**Current 12 / Target 40** · 30% · At risk")
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

// doctor names each misconfiguration with its fix: a team the key does not
// see, an unknown project; a wrong key stops at the first check.
func TestDoctor(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		teams  []string
		projs  []string
		failed []string
	}{
		{"all good", apiKey, []string{"ENG"}, []string{projectID}, nil},
		{"unknown team and project", apiKey, []string{"ENG", "OPS"}, []string{projectID, "nope"}, []string{"linear team OPS", "linear project nope"}},
		{"wrong key", "lin_api_wrong", []string{"ENG"}, nil, []string{"linear: API key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSinkEnv(t)
			e.fake.AddTeam("ENG")
			cfg := &linear.Config{BaseURL: e.srv.URL, APIKey: secret.String(tt.key), Teams: tt.teams}
			var failed []string
			for _, ck := range linear.Doctor(t.Context(), cfg, tt.projs, []string{initiativeID}, linear.WithBaseTransport(e.srv.Client().Transport)) {
				if !ck.OK {
					failed = append(failed, ck.Name)
					if ck.Fix == "" {
						t.Errorf("%s failed without a fix", ck.Name)
					}
				}
			}
			if !slices.Equal(failed, tt.failed) {
				t.Errorf("failed %v, want %v", failed, tt.failed)
			}
		})
	}
}
