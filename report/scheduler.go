package report

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// Queue is where the scheduler queues deliveries; *store.Store implements
// it. EnqueueOnce inserts a row unless its target has one (in any state),
// reporting whether it did; it is one small write, safe to repeat.
type Queue interface {
	EnqueueOnce(ctx context.Context, w store.Write, now time.Time) (bool, error)
}

// BuildFunc returns team's report for a finished week; (*Builder).Report,
// which freezes it, is the one to pass, so that a resumed delivery sends
// the same report as the first attempt.
type BuildFunc func(ctx context.Context, team string, week calendar.Week, now time.Time) (*Report, error)

const maxSleep = 15 * time.Minute // re-check the clock at least this often

// Scheduler queues each team's report for the week that just ended, at the
// configured day and time in the team's time zone (default Monday 09:00),
// and delivers what the outbox hands it (it is the writeback sender's
// report sink; ADR 0009).
//
// Guarantee: for every (team, week, destination) the report is delivered
// once. The firing is keyed by the ISO week, not by elapsed time, so DST
// changes neither skip nor repeat it. Each firing queues one outbox row per
// destination (target report:<destination>:<week>/<team>), once: the row is
// never queued again, whatever its state. The writeback sender sends it like
// a key-result write (same classification, backoff and parking) and stores
// the progress after each confirmed part: after a restart or a retry the
// delivery resumes after the last confirmed part, so nothing is skipped and
// no confirmed part is sent again. Only a part in flight when the process
// died (sent, not yet confirmed) can be sent a second time, and only by
// destinations that cannot detect it: a Slack incoming-webhook message.
// The Slack app finds such a message by its metadata key (ADR 0048);
// Notion pages and files are checked or replaced: exactly-once in effect. A
// missed firing (daemon down) is queued late within catch_up; a queued
// delivery is always finished or parked with its reason.
type Scheduler struct {
	build BuildFunc
	dests []Destination
	q     Queue
	log   *slog.Logger
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	// AfterEnqueue, when set, is called after a firing queued deliveries
	// (the writeback sender's Notify). It must not block.
	AfterEnqueue func()

	teams   []schedTeam
	queued  map[string]string // team → the last week whose firing Tick queued
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
func NewScheduler(cfg *Config, teams []people.Team, build BuildFunc, dests []Destination, q Queue, log *slog.Logger, now func() time.Time) (*Scheduler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	if len(teams) == 0 {
		teams = []people.Team{{}}
	}
	s := &Scheduler{build: build, dests: dests, q: q, log: log, now: now, sleep: transport.Sleep, queued: map[string]string{}}
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

// Run queues reports as they fall due until ctx ends, then returns nil. It
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
			next = now.Add(time.Minute)
		}
		wait := min(max(next.Sub(now), time.Second), maxSleep)
		if err := s.sleep(ctx, wait); err != nil {
			return nil
		}
	}
}

// Tick queues the deliveries of every firing that is due (within catch_up)
// and not queued yet, and returns when it should run next (the next firing,
// at most 15 minutes away). Errors are about writing the queue. Tick is
// safe to call again at any time: a delivery is queued once (the store
// keeps one row per delivery; the scheduler remembers each team's last
// queued week so that it does not ask again on every tick). Tick is not
// safe for concurrent use.
func (s *Scheduler) Tick(ctx context.Context) (time.Time, error) {
	now := s.now()
	next := now.Add(maxSleep)
	queued := 0
	defer func() {
		if queued > 0 && s.AfterEnqueue != nil {
			s.AfterEnqueue()
		}
	}()
	for _, t := range s.teams {
		if ctx.Err() != nil {
			return next, ctx.Err()
		}
		week, at, upcoming := s.firing(t, now)
		next = earlier(next, upcoming)
		if now.Sub(at) > s.catchUp || s.queued[t.name] == week.String() {
			continue
		}
		n, err := s.enqueue(ctx, t.name, week.String(), now)
		queued += n
		if err != nil {
			return next, err
		}
		s.queued[t.name] = week.String()
	}
	return next, nil
}

// enqueue queues team's report for week to each of its destinations that
// has no row yet and returns how many it queued.
func (s *Scheduler) enqueue(ctx context.Context, team, week string, now time.Time) (int, error) {
	n := 0
	for _, d := range s.dests {
		if !d.forTeam(team) {
			continue
		}
		r := outbox.Report{Team: team, Week: week, Destination: d.Name}
		payload, err := r.Encode()
		if err != nil {
			return n, err
		}
		ok, err := s.q.EnqueueOnce(ctx, store.Write{Target: r.Target(), Payload: payload}, now)
		if err != nil {
			return n, err
		}
		if ok {
			n++
			s.log.Debug("weekly report queued", "team", team, "week", week, "destination", d.Name)
		}
	}
	return n, nil
}

// Deliver sends one queued delivery: the team's frozen report for the week,
// to the destination, resuming after done. It implements the writeback
// sender's report sink (see writeback.ReportSink for the contract). A
// destination or team no longer in the configuration, or a bad week, is a
// permanent error: the delivery is parked with the reason.
func (s *Scheduler) Deliver(ctx context.Context, r outbox.Report, done Progress, confirm func(context.Context, Progress) error) error {
	d, ok := s.destination(r.Destination, r.Team)
	if !ok || !s.hasTeam(r.Team) {
		return outbox.Permanent(fmt.Errorf("report destination %q for team %q is no longer configured", r.Destination, r.Team))
	}
	w, err := calendar.ParseWeek(r.Week)
	if err != nil {
		return outbox.Permanent(err)
	}
	rep, err := s.build(ctx, r.Team, w, s.now())
	if err != nil {
		return fmt.Errorf("build report: %w", err)
	}
	return d.Sender.Deliver(ctx, rep, done, confirm)
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

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
