package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

// Deliveries records report deliveries; *store.Store implements it. Every
// method is one small write or read, safe to repeat.
type Deliveries interface {
	ReportDelivery(ctx context.Context, k store.DeliveryKey) (store.ReportDelivery, error)
	StartReportDelivery(ctx context.Context, k store.DeliveryKey, now time.Time) (store.ReportDelivery, error)
	ReportDeliveryProgress(ctx context.Context, k store.DeliveryKey, parts int, ref string, now time.Time) error
	FinishReportDelivery(ctx context.Context, k store.DeliveryKey, now time.Time) error
	FailReportDelivery(ctx context.Context, k store.DeliveryKey, msg string, next time.Time, permanent bool, now time.Time) error
	PendingReportDeliveries(ctx context.Context) ([]store.ReportDelivery, error)
}

// BuildFunc returns team's report for a finished week; (*Builder).Report,
// which freezes it, is the one to pass, so that a resumed delivery sends
// the same report as the first attempt.
type BuildFunc func(ctx context.Context, team string, week calendar.Week, now time.Time) (*Report, error)

// Retry backoff for failed deliveries: 1m, 2m, 4m … capped at 1h.
const (
	retryBase = time.Minute
	retryMax  = time.Hour
	maxSleep  = 15 * time.Minute // re-check the clock at least this often
)

// Scheduler sends each team's report for the week that just ended, at the
// configured day and time in the team's time zone (default Monday 09:00).
//
// Guarantee: for every (team, week, destination) the report is delivered
// once. The firing is keyed by the ISO week, not by elapsed time, so DST
// changes neither skip nor repeat it. A delivery record is written before
// the first part is sent and updated after each part is confirmed: after a
// restart (or a failure, retried with backoff) the delivery resumes after
// the last confirmed part, so nothing is skipped and no confirmed part is
// sent again. Only a part in flight when the process died (sent, not yet
// confirmed) can be sent a second time, and only by destinations that cannot
// detect it: a Slack message; Notion pages and files are checked or
// replaced, so they are exactly-once in effect. A missed firing (daemon
// down) is sent late within catch_up; a started delivery is always
// finished. Permanent errors (a revoked webhook) mark the delivery failed.
type Scheduler struct {
	build BuildFunc
	dests []Destination
	st    Deliveries
	log   *slog.Logger
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	teams   []schedTeam
	day     time.Weekday
	clock   calendar.Clock
	catchUp time.Duration
}

type schedTeam struct {
	name string
	cal  calendar.Calendar
}

// NewScheduler returns a scheduler for teams (none: the implicit team "" in
// UTC). It checks that every destination's teams exist; it does no I/O.
func NewScheduler(cfg *Config, teams []people.Team, build BuildFunc, dests []Destination, st Deliveries, log *slog.Logger, now func() time.Time) (*Scheduler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	if len(teams) == 0 {
		teams = []people.Team{{}}
	}
	s := &Scheduler{build: build, dests: dests, st: st, log: log, now: now, sleep: transport.Sleep}
	c := withDefaults(cfg)
	s.day, s.clock, s.catchUp = c.schedule()
	known := map[string]bool{}
	for _, t := range teams {
		cal, err := calendar.Parse(t.TimeZone, t.WeekStart)
		if err != nil {
			return nil, fmt.Errorf("team %q: %w", t.Name, err)
		}
		s.teams = append(s.teams, schedTeam{name: t.Name, cal: cal})
		known[t.Name] = true
	}
	for _, d := range dests {
		for _, t := range d.Teams {
			if !known[t] {
				return nil, fmt.Errorf("report destination %s: unknown team %q", d.Name, t)
			}
		}
	}
	return s, nil
}

// Run sends reports as they fall due until ctx ends, then returns nil. It
// sleeps between firings, waking at least every 15 minutes to re-read the
// clock (a suspended machine, a changed clock).
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		next, err := s.Tick(ctx)
		if ctx.Err() != nil {
			return nil
		}
		now := s.now()
		if err != nil {
			s.log.Warn("report scheduler", "err", err)
			next = now.Add(retryBase)
		}
		wait := min(max(next.Sub(now), time.Second), maxSleep)
		if err := s.sleep(ctx, wait); err != nil {
			return nil
		}
	}
}

// Tick does everything due at the current time: it resumes started
// deliveries whose retry time has come, and starts the deliveries of every
// firing that is due and not yet recorded. It returns when it should run
// next. Errors are only about reading the delivery records; delivery
// failures are recorded and retried. Tick is not safe for concurrent use.
func (s *Scheduler) Tick(ctx context.Context) (time.Time, error) {
	now := s.now()
	reports := map[store.DeliveryKey]*Report{} // by team and week, destination ""
	next, err := s.resume(ctx, now, reports)
	if err != nil {
		return next, err
	}
	for _, t := range s.teams {
		if ctx.Err() != nil {
			return next, ctx.Err()
		}
		week, at, upcoming := s.firing(t, now)
		next = earlier(next, upcoming)
		if now.Sub(at) > s.catchUp {
			continue
		}
		due, err := s.startFiring(ctx, t.name, week.String(), now)
		if err != nil {
			return next, err
		}
		for _, d := range due {
			if r := s.deliver(ctx, d, t.name, week.String(), reports); !r.IsZero() {
				next = earlier(next, r)
			}
		}
	}
	return next, ctx.Err()
}

// resume continues every started delivery whose retry time has come and
// returns the earliest time one is due next.
func (s *Scheduler) resume(ctx context.Context, now time.Time, reports map[store.DeliveryKey]*Report) (time.Time, error) {
	next := now.Add(maxSleep)
	pending, err := s.st.PendingReportDeliveries(ctx)
	if err != nil {
		return next, err
	}
	for _, p := range pending {
		if ctx.Err() != nil {
			return next, ctx.Err()
		}
		d, ok := s.destination(p.Destination, p.Team)
		if !ok || !s.hasTeam(p.Team) {
			continue // removed from the config since
		}
		if p.NextAttempt.After(now) {
			next = earlier(next, p.NextAttempt)
			continue
		}
		if t := s.deliver(ctx, d, p.Team, p.Week, reports); !t.IsZero() {
			next = earlier(next, t)
		}
	}
	return next, nil
}

// startFiring records a pending delivery for every destination of team
// that has no record for week yet, before sending anything, so that a crash
// while sending to the first destination still leaves the others to resume.
// It returns the destinations it started.
func (s *Scheduler) startFiring(ctx context.Context, team, week string, now time.Time) ([]Destination, error) {
	var started []Destination
	for _, d := range s.dests {
		if !d.forTeam(team) {
			continue
		}
		k := store.DeliveryKey{Team: team, Week: week, Destination: d.Name}
		if _, err := s.st.ReportDelivery(ctx, k); !errors.Is(err, store.ErrNotFound) {
			if err != nil {
				return nil, err
			}
			continue // started or done: the pending pass handles it
		}
		if _, err := s.st.StartReportDelivery(ctx, k, now); err != nil {
			return nil, err
		}
		started = append(started, d)
	}
	return started, nil
}

// firing returns, for team at now, the week whose report is due at the most
// recent firing (at), and the next firing after now.
func (s *Scheduler) firing(t schedTeam, now time.Time) (week calendar.Week, at, upcoming time.Time) {
	x := t.cal.WeekOf(now)
	at = t.cal.At(x, s.day, s.clock)
	if now.Before(at) {
		upcoming = at
		x = x.Add(-1)
		at = t.cal.At(x, s.day, s.clock)
	} else {
		upcoming = t.cal.At(x.Add(1), s.day, s.clock)
	}
	return x.Add(-1), at, upcoming
}

// deliver runs one delivery: record, build (frozen), send, record. It
// returns when to retry, or the zero time when it is done.
func (s *Scheduler) deliver(ctx context.Context, d Destination, team, week string, reports map[store.DeliveryKey]*Report) time.Time {
	k := store.DeliveryKey{Team: team, Week: week, Destination: d.Name}
	log := s.log.With("team", team, "week", week, "destination", d.Name)
	rec, err := s.st.StartReportDelivery(ctx, k, s.now())
	if err != nil {
		log.Warn("report delivery not recorded", "err", err)
		return s.now().Add(retryBase)
	}
	if rec.State != store.DeliveryPending {
		return time.Time{}
	}
	err = s.send(ctx, d, k, rec, reports)
	if err != nil && ctx.Err() != nil {
		return time.Time{} // shutting down: the record stays pending and resumes
	}
	now := s.now()
	if err == nil {
		if err := s.st.FinishReportDelivery(context.WithoutCancel(ctx), k, now); err != nil {
			log.Warn("report delivery not recorded", "err", err)
			return now.Add(retryBase)
		}
		log.Info("weekly report sent")
		return time.Time{}
	}
	permanent := IsPermanent(err)
	retry := now.Add(backoff(rec.Attempts))
	if rerr := s.st.FailReportDelivery(ctx, k, err.Error(), retry, permanent, now); rerr != nil {
		log.Warn("report delivery not recorded", "err", rerr)
	}
	if permanent {
		log.Error("weekly report not delivered; giving up", "err", err)
		return time.Time{}
	}
	log.Warn("weekly report not delivered; will retry", "err", err, "retry_at", retry)
	return retry
}

func (s *Scheduler) send(ctx context.Context, d Destination, k store.DeliveryKey, rec store.ReportDelivery, reports map[store.DeliveryKey]*Report) error {
	rk := store.DeliveryKey{Team: k.Team, Week: k.Week}
	r := reports[rk]
	if r == nil {
		w, err := calendar.ParseWeek(k.Week)
		if err != nil {
			return Permanent(err)
		}
		if r, err = s.build(ctx, k.Team, w, s.now()); err != nil {
			return fmt.Errorf("build report: %w", err)
		}
		reports[rk] = r
	}
	// A confirmed part is recorded even when ctx ends right after it was
	// sent, so that shutting down does not turn it into a resend.
	confirm := func(ctx context.Context, p Progress) error {
		return s.st.ReportDeliveryProgress(context.WithoutCancel(ctx), k, p.Parts, p.Ref, s.now())
	}
	return d.Sender.Deliver(ctx, r, Progress{Parts: rec.PartsSent, Ref: rec.Ref}, confirm)
}

func (s *Scheduler) destination(name, team string) (Destination, bool) {
	for _, d := range s.dests {
		if d.Name == name && d.forTeam(team) {
			return d, true
		}
	}
	return Destination{}, false
}

func (s *Scheduler) hasTeam(name string) bool {
	for _, t := range s.teams {
		if t.name == name {
			return true
		}
	}
	return false
}

func backoff(attempts int) time.Duration {
	d := retryBase << min(attempts, 10)
	return min(d, retryMax)
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
