package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
	"github.com/goalpost/goalpost/writeback"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// recorder is a Sender that records each delivery and when it happened.
type recorder struct {
	mu   sync.Mutex
	now  func() time.Time
	sent []sentReport
	fail error
}

type sentReport struct {
	team, week string
	at         time.Time
}

func (r *recorder) Deliver(ctx context.Context, rep *Report, done Progress, confirm func(context.Context, Progress) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.sent = append(r.sent, sentReport{team: rep.Team, week: rep.Week.String(), at: r.now()})
	return confirm(ctx, Progress{Parts: 1})
}

// sending is a daemon's report delivery: the scheduler queues, the
// writeback sender (with the scheduler as its report sink) sends.
type sending struct {
	s   *Scheduler
	w   *writeback.Sender
	st  *store.Store
	now func() time.Time
}

func newSending(t testing.TB, cfg *Config, teams []people.Team, build BuildFunc, dests []Destination, st *store.Store, log *slog.Logger, now func() time.Time) *sending {
	t.Helper()
	s, err := NewScheduler(cfg, teams, build, dests, st, log, now)
	if err != nil {
		t.Fatal(err)
	}
	return &sending{s: s, w: writeback.New(st, nil, log, writeback.WithReports(s), writeback.WithClock(now)), st: st, now: now}
}

// tick queues what is due and sends what the outbox has due, as Run and
// the sender's Run would at that moment. Failed sends stay in the outbox.
func (d *sending) tick(ctx context.Context) (time.Time, error) {
	next, err := d.s.Tick(ctx)
	if err != nil {
		return next, err
	}
	if at, ok, err := d.st.NextWriteDue(ctx); err != nil || !ok || at.After(d.now()) {
		return next, err // nothing due: skip the write transaction of a claim
	}
	var failed *writeback.FailedError
	if err := d.w.Flush(ctx); err != nil && !errors.As(err, &failed) {
		return next, err
	}
	return next, nil
}

// delivery is the outbox row of team's report for week to dest.
func delivery(t testing.TB, st *store.Store, team, week, dest string) store.QueuedWrite {
	t.Helper()
	ws, err := st.ListWrites(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	target := outbox.Report{Team: team, Week: week, Destination: dest}.Target()
	for _, w := range ws {
		if w.Target == target {
			return w
		}
	}
	t.Fatalf("no outbox row for %s", target)
	return store.QueuedWrite{}
}

// stubBuild drafts a minimal report for any team and week.
func stubBuild(teams []people.Team) BuildFunc {
	return func(_ context.Context, team string, week calendar.Week, now time.Time) (*Report, error) {
		for _, t := range teams {
			if t.Name == team {
				cal, _ := calendar.Parse(t.TimeZone, t.WeekStart)
				span := cal.Week(week)
				return &Report{Schema: Schema, Team: team, TimeZone: cal.Location().String(), Week: week, Start: span.Start, End: span.End, GeneratedAt: now, Final: true}, nil
			}
		}
		return nil, fmt.Errorf("unknown team %q", team)
	}
}

var dstTeams = []people.Team{
	{Name: "berlin", TimeZone: "Europe/Berlin"},     // CEST→CET on Sun 25 Oct 2026
	{Name: "newyork", TimeZone: "America/New_York"}, // EDT→EST on Sun 1 Nov 2026
	{Name: "sydney", TimeZone: "Australia/Sydney"},  // AEST→AEDT on Sun 4 Oct 2026
	{Name: "sunday", TimeZone: "UTC", WeekStart: "sunday"},
}

// The schedule fires exactly once per week per team, at Monday 09:00 local
// time, through the autumn DST changes of three zones, whether the clock
// follows the scheduler's own wake-ups or moves in fixed steps.
func TestSchedulerOncePerWeekAcrossDST(t *testing.T) {
	from := time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		step func(now, next time.Time) time.Time
	}{
		{name: "wake at the returned time", step: func(_, next time.Time) time.Time { return next }},
		{name: "fixed 23-minute steps", step: func(now, _ time.Time) time.Time { return now.Add(23 * time.Minute) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, t.TempDir())
			clk := &clock{t: from}
			rec := &recorder{now: clk.Now}
			s := newSending(t, &Config{}, dstTeams, stubBuild(dstTeams), []Destination{{Name: "rec", Sender: rec}}, st, nil, clk.Now)
			for clk.Now().Before(to) {
				next, err := s.tick(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if !next.After(clk.Now()) {
					t.Fatalf("next %s is not after now %s", next, clk.Now())
				}
				clk.Set(tc.step(clk.Now(), next))
			}
			checkWeekly(t, dstTeams, rec.sent, from, to, time.Monday, calendar.Clock{Hour: 9}, tc.name == "wake at the returned time")
		})
	}
}

// checkWeekly asserts one delivery per team per week, for the week before
// the one it was sent in, on day at clock local time (exactly, when exact;
// a time skipped by DST moves forward an hour).
func checkWeekly(t *testing.T, teams []people.Team, sent []sentReport, from, to time.Time, day time.Weekday, clk calendar.Clock, exact bool) {
	t.Helper()
	for _, team := range teams {
		cal, _ := calendar.Parse(team.TimeZone, team.WeekStart)
		seen := map[string]time.Time{}
		for _, s := range sent {
			if s.team != team.Name {
				continue
			}
			if prev, dup := seen[s.week]; dup {
				t.Errorf("%s %s sent twice: %s and %s", team.Name, s.week, prev, s.at)
			}
			seen[s.week] = s.at
			local := s.at.In(cal.Location())
			h := local.Hour()
			ok := local.Weekday() == day && (h == clk.Hour || h == clk.Hour+1)
			if exact {
				ok = ok && h == clk.Hour && local.Minute() == clk.Minute && local.Second() == 0
			}
			if !ok {
				t.Errorf("%s %s sent at %s local, want %s %s", team.Name, s.week, local, day, clk)
			}
			if got := cal.WeekOf(s.at).Add(-1).String(); got != s.week {
				t.Errorf("%s sent week %s at %s, want the week before (%s)", team.Name, s.week, local, got)
			}
		}
		// Every firing in the window happened.
		want := 0
		for w := cal.WeekOf(from); ; w = w.Add(1) {
			at := cal.At(w, day, clk)
			if !at.Before(to) {
				break
			}
			if !at.Before(from) {
				want++
			}
		}
		if len(seen) != want {
			t.Errorf("%s: %d weekly reports, want %d", team.Name, len(seen), want)
		}
	}
}

// A firing at a local time that a DST change skips (02:30 on the Sunday
// clocks spring forward) or repeats (02:30 on the Sunday they fall back)
// still happens exactly once that week.
func TestSchedulerSkippedAndRepeatedLocalTimes(t *testing.T) {
	berlin := []people.Team{{Name: "berlin", TimeZone: "Europe/Berlin"}}
	cfg := &Config{Day: "sunday", Time: "02:30"}
	for _, tc := range []struct {
		name     string
		from, to time.Time
	}{
		{name: "spring forward (29 Mar 2026)", from: time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 4, 22, 0, 0, 0, 0, time.UTC)},
		{name: "fall back (25 Oct 2026)", from: time.Date(2026, 10, 7, 0, 0, 0, 0, time.UTC), to: time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, t.TempDir())
			clk := &clock{t: tc.from}
			rec := &recorder{now: clk.Now}
			s := newSending(t, cfg, berlin, stubBuild(berlin), []Destination{{Name: "rec", Sender: rec}}, st, nil, clk.Now)
			for clk.Now().Before(tc.to) {
				if _, err := s.tick(t.Context()); err != nil {
					t.Fatal(err)
				}
				clk.Add(10 * time.Minute)
			}
			checkWeekly(t, berlin, rec.sent, tc.from, tc.to, time.Sunday, calendar.Clock{Hour: 2, Minute: 30}, false)
			if len(rec.sent) != 6 {
				t.Errorf("%d reports in six weeks", len(rec.sent))
			}
		})
	}
}

func TestSchedulerCatchUp(t *testing.T) {
	berlin := []people.Team{{Name: "berlin", TimeZone: "Europe/Berlin"}}
	fire := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) // Mon 09:00 CET
	for _, tc := range []struct {
		name  string
		start time.Duration // daemon starts this long after the firing
		sent  int
	}{
		{name: "on time", start: 0, sent: 1},
		{name: "late within catch-up", start: 20 * time.Hour, sent: 1},
		{name: "too late: skipped", start: 26 * time.Hour, sent: 0},
		{name: "before the firing", start: -time.Minute, sent: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, t.TempDir())
			clk := &clock{t: fire.Add(tc.start)}
			rec := &recorder{now: clk.Now}
			s := newSending(t, &Config{}, berlin, stubBuild(berlin), []Destination{{Name: "rec", Sender: rec}}, st, nil, clk.Now)
			if _, err := s.tick(t.Context()); err != nil {
				t.Fatal(err)
			}
			if len(rec.sent) != tc.sent {
				t.Fatalf("sent %d, want %d", len(rec.sent), tc.sent)
			}
			if tc.sent == 1 && rec.sent[0].week != "2026-W47" {
				t.Errorf("sent %s", rec.sent[0].week)
			}
		})
	}
}

// A delivery that fails is retried by the writeback sender with its
// backoff (30 s first), and parked with its reason after a permanent
// error, never sent again by the schedule; a parked delivery goes out
// when retried (status --retry-parked report).
func TestSchedulerRetriesAndParks(t *testing.T) {
	berlin := []people.Team{{Name: "berlin", TimeZone: "Europe/Berlin"}}
	fire := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	t.Run("retryable error: retried after the outbox backoff", func(t *testing.T) {
		st := openStore(t, t.TempDir())
		clk := &clock{t: fire}
		rec := &recorder{now: clk.Now, fail: errors.New("slack webhook: status 500: rollup_error")}
		s := newSending(t, &Config{}, berlin, stubBuild(berlin), []Destination{{Name: "rec", Sender: rec}}, st, nil, clk.Now)
		_, _ = s.tick(t.Context())
		d := delivery(t, st, "berlin", "2026-W47", "rec")
		if want := fire.Add(30 * time.Second); d.State != store.WritePending || d.Attempts != 1 || d.LastError == "" || !d.NextAttempt.Equal(want) {
			t.Errorf("row = %+v, want pending, retry at %s", d, want)
		}
		clk.Add(20 * time.Second)
		rec.fail = nil
		_, _ = s.tick(t.Context()) // not yet due
		if len(rec.sent) != 0 {
			t.Fatal("retried before the backoff")
		}
		clk.Add(11 * time.Second)
		_, _ = s.tick(t.Context())
		if d := delivery(t, st, "berlin", "2026-W47", "rec"); len(rec.sent) != 1 || d.State != store.WriteSent {
			t.Errorf("sent %d, row %+v", len(rec.sent), d)
		}
	})
	t.Run("permanent error: parked, not retried", func(t *testing.T) {
		st := openStore(t, t.TempDir())
		clk := &clock{t: fire}
		rec := &recorder{now: clk.Now, fail: outbox.Permanent(errors.New("slack webhook: status 404: no_service"))}
		s := newSending(t, &Config{}, berlin, stubBuild(berlin), []Destination{{Name: "rec", Sender: rec}}, st, nil, clk.Now)
		_, _ = s.tick(t.Context())
		rec.fail = nil
		clk.Add(2 * time.Hour)
		_, _ = s.tick(t.Context())
		d := delivery(t, st, "berlin", "2026-W47", "rec")
		if len(rec.sent) != 0 || d.State != store.WriteParked || !strings.Contains(d.LastError, "no_service") {
			t.Fatalf("sent %d, row %+v", len(rec.sent), d)
		}
		if n, err := s.w.RetryParked(t.Context(), outbox.Target{Service: outbox.ServiceReport}); err != nil || n != 1 {
			t.Fatalf("retry parked: %d %v", n, err)
		}
		_, _ = s.tick(t.Context())
		if d := delivery(t, st, "berlin", "2026-W47", "rec"); len(rec.sent) != 1 || d.State != store.WriteSent {
			t.Errorf("after retry: sent %d, row %+v", len(rec.sent), d)
		}
	})
	t.Run("destination removed from the config: parked with the reason", func(t *testing.T) {
		st := openStore(t, t.TempDir())
		clk := &clock{t: fire}
		s := newSending(t, &Config{}, berlin, stubBuild(berlin), []Destination{{Name: "rec", Sender: &recorder{now: clk.Now}}}, st, nil, clk.Now)
		if _, err := s.s.Tick(t.Context()); err != nil {
			t.Fatal(err)
		}
		s = newSending(t, &Config{}, berlin, stubBuild(berlin), nil, st, nil, clk.Now)
		_, _ = s.tick(t.Context())
		if d := delivery(t, st, "berlin", "2026-W47", "rec"); d.State != store.WriteParked || !strings.Contains(d.LastError, "no longer configured") {
			t.Errorf("row %+v", d)
		}
	})
}

// A sender without the report sink (sync) neither sends nor parks the
// queued reports: they wait for the daemon's sender.
func TestReportsWaitForTheDaemonsSender(t *testing.T) {
	berlin := []people.Team{{Name: "berlin", TimeZone: "Europe/Berlin"}}
	st := openStore(t, t.TempDir())
	clk := &clock{t: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}
	rec := &recorder{now: clk.Now}
	s := newSending(t, &Config{}, berlin, stubBuild(berlin), []Destination{{Name: "rec", Sender: rec}}, st, nil, clk.Now)
	if _, err := s.s.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := writeback.New(st, nil, nil, writeback.WithClock(clk.Now)).Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := delivery(t, st, "berlin", "2026-W47", "rec"); d.State != store.WritePending || d.Attempts != 0 {
		t.Fatalf("row after sync = %+v, want pending, untouched", d)
	}
	_, _ = s.tick(t.Context())
	if len(rec.sent) != 1 {
		t.Errorf("sent %d", len(rec.sent))
	}
}

func TestSchedulerRunStopsOnCancel(t *testing.T) {
	berlin := []people.Team{{Name: "berlin", TimeZone: "Europe/Berlin"}}
	st := openStore(t, t.TempDir())
	clk := &clock{t: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	rec := &recorder{now: clk.Now}
	d := newSending(t, &Config{}, berlin, stubBuild(berlin), []Destination{{Name: "rec", Sender: rec}}, st, nil, clk.Now)
	s := d.s
	ctx, cancel := context.WithCancel(t.Context())
	s.AfterEnqueue = func() { _ = d.w.Flush(ctx) }
	var waits []time.Duration
	s.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		clk.Add(d) // time passes while asleep
		if clk.Now().After(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
			cancel()
		}
		return ctx.Err()
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	if len(rec.sent) != 5 { // W44..W48, sent on Mondays 2, 9, 16, 23, 30 Nov
		t.Errorf("sent %d reports in November, want 5", len(rec.sent))
	}
	for _, w := range waits {
		if w > maxSleep || w < time.Second {
			t.Errorf("slept %s", w)
		}
	}
}

func TestNewSchedulerErrors(t *testing.T) {
	st := openStore(t, t.TempDir())
	if _, err := NewScheduler(&Config{}, []people.Team{{Name: "a"}}, nil, []Destination{{Name: "d", Teams: []string{"b"}}}, st, nil, nil); err == nil {
		t.Error("destination for an unknown team accepted")
	}
	if _, err := NewScheduler(&Config{}, []people.Team{{Name: "a", TimeZone: "Nope/Nope"}}, nil, nil, st, nil, nil); err == nil {
		t.Error("bad time zone accepted")
	}
}
