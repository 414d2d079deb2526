package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox"
	"github.com/goalpost/goalpost/rules"
)

// demoHour is an hour of the demo's default pace: a beat every 10 s,
// checked every 10 minutes.
const (
	demoEvery      = 10 * time.Second
	demoHourBeats  = 360
	demoCheckEvery = 60
)

// TestDemoKeepsMovingForAnHour plays an hour of the demo's default rhythm
// (seed 1) against goalpost with an injected clock and no real waiting:
// the beats land on the sandbox's fakes and goalpost polls them every ten
// simulated minutes. At each check every key result is what the seed's
// facts give (recomputed here, independently of goalpost), some value
// moved since the last check, and no key result reached its target unless
// it had already; over the hour at least one key result is at risk and
// one recovers (at risk or off track, then on track).
func TestDemoKeepsMovingForAnHour(t *testing.T) {
	if testing.Short() {
		t.Skip("plays an hour of the demo")
	}
	ctx := t.Context()
	start := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second) // in the past: sources read up to the real now
	var clock atomic.Int64
	clock.Store(start.UnixNano())
	sb, err := sandbox.Start(start)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	a := buildDemoApp(t, sb, func() time.Time { return time.Unix(0, clock.Load()).UTC() })
	world := newDemoWorld(sb.Company)
	beats := sandbox.Beats(sb.Company, 1, demoHourBeats)
	var checks []map[string]rules.Result
	for i := 0; ; i++ {
		if i%demoCheckEvery == 0 {
			clock.Store(start.Add(time.Duration(i) * demoEvery).UnixNano())
			checks = append(checks, checkDemo(ctx, t, a, world, fmt.Sprintf("minute %d", i/6)))
		}
		if i == len(beats) {
			break
		}
		at := start.Add(time.Duration(i+1) * demoEvery)
		if _, err := sb.Play(ctx, beats[i], at, ""); err != nil {
			t.Fatal(err)
		}
		world.play(beats[i], at)
	}
	checkMovement(t, checks)
}

func buildDemoApp(t *testing.T, sb *sandbox.Sandbox, now func() time.Time) *app {
	t.Helper()
	env := &cliEnv{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" },
		lookupEnv: func(string) (string, bool) { return "", false }, now: now}
	cfg, err := writeDemoConfig(sb, t.TempDir(), "127.0.0.1:0", env)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(t.Context(), cfg, discardLog(), daemon(env))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	return a
}

// checkDemo runs one poll → evaluate → write cycle and compares every key
// result with the world's facts.
func checkDemo(ctx context.Context, t *testing.T, a *app, world *demoWorld, when string) map[string]rules.Result {
	t.Helper()
	if _, err := a.cycle(ctx, nil); err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	results, err := a.engine.Results(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]rules.Result{}
	var line []string
	for _, r := range results {
		got[r.KRKey] = r
		line = append(line, fmt.Sprintf("%s %.4g %s", r.KRKey, r.Current, r.Status))
	}
	t.Logf("%s: %s", when, strings.Join(line, " · "))
	for kr, want := range world.expected() {
		if math.Abs(got[kr].Current-want) > 0.01 {
			t.Errorf("%s: %s = %v, want %v (from the seed's facts)", when, kr, got[kr].Current, want)
		}
	}
	return got
}

// checkMovement asserts the hour's story on the checks, in order.
func checkMovement(t *testing.T, checks []map[string]rules.Result) {
	t.Helper()
	atRisk, recovered := "", ""
	behind := map[string]bool{}
	for i, c := range checks {
		moved := false
		for kr, r := range c {
			prev, ok := checks[max(i-1, 0)][kr]
			moved = moved || (ok && prev.Current != r.Current)
			if r.Status == rules.StatusDone && prev.Status != rules.StatusDone {
				t.Errorf("check %d: %s reached its target within the hour (%v)", i, kr, r.Current)
			}
			switch r.Status {
			case rules.StatusAtRisk, rules.StatusOffTrack:
				atRisk = kr
				behind[kr] = true
			case rules.StatusOnTrack:
				if behind[kr] {
					recovered = kr
				}
			}
		}
		if i > 0 && !moved {
			t.Errorf("check %d: no key result moved in the last %d beats", i, demoCheckEvery)
		}
	}
	if atRisk == "" || recovered == "" {
		t.Errorf("over the hour, want a key result at risk (got %q) and one recovering (got %q)", atRisk, recovered)
	}
	t.Logf("at risk: %s; recovered: %s", atRisk, recovered)
}

// TestDemoRhythmEveryDayOfTheWeek checks the hour's story on the model
// alone (no goalpost) for starts early and late on each day of the week:
// the straight-line pace, against which status is judged, grows through
// the week.
func TestDemoRhythmEveryDayOfTheWeek(t *testing.T) {
	monday := sandbox.NewCompany(time.Now()).Anchor.AddDate(0, 0, -7)
	for day := range 7 {
		for _, hour := range []time.Duration{30 * time.Minute, 22 * time.Hour} {
			start := monday.AddDate(0, 0, day).Add(hour)
			t.Run(start.Format("Mon 15:04"), func(t *testing.T) {
				c := sandbox.NewCompany(start)
				world := newDemoWorld(c)
				var checks []map[string]rules.Result
				for i, b := range sandbox.Beats(c, 1, demoHourBeats+1) {
					at := start.Add(time.Duration(i) * demoEvery)
					if i%demoCheckEvery == 0 {
						checks = append(checks, world.statuses(at))
					}
					world.play(b, at.Add(demoEvery))
				}
				checkMovement(t, checks)
			})
		}
	}
}

// demoTargets are the demo's key results' baselines and targets.
var demoTargets = map[string][2]float64{"ship-180": {0, 180}, "perf-30": {0, 30}, "lead-time": {72, 24},
	"change-failure": {30, 10}, "launch-board": {0, 80}, "passkeys-live": {0, 1}}

// statuses is every key result's value and status at at: behind the
// straight-line pace of the objectives' period (Lisbon midnights, 13 weeks)
// by more than 0.15 is at risk, by more than 0.3 off track.
func (w *demoWorld) statuses(at time.Time) map[string]rules.Result {
	lisbon, _ := time.LoadLocation("Europe/Lisbon")
	start := w.c.Anchor.AddDate(0, 0, -7*w.c.Weeks)
	from := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, lisbon)
	pace := float64(at.Sub(from)) / float64(from.AddDate(0, 0, 91).Sub(from))
	out := map[string]rules.Result{}
	for kr, v := range w.expected() {
		bt := demoTargets[kr]
		progress := min(max((v-bt[0])/(bt[1]-bt[0]), 0), 1)
		r := rules.Result{KRKey: kr, Current: v, Status: rules.StatusOnTrack}
		switch {
		case progress >= 1:
			r.Status = rules.StatusDone
		case pace-progress > 0.3:
			r.Status = rules.StatusOffTrack
		case pace-progress > 0.15:
			r.Status = rules.StatusAtRisk
		}
		out[kr] = r
	}
	return out
}
