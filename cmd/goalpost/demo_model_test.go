package main

import (
	"slices"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox"
)

// demoWorld is the sandbox company's facts as the demo's tests recompute
// them, independently of goalpost: the seeded history plus the live beats
// played so far, each with the time it happened.
type demoWorld struct {
	c         *sandbox.Company
	prs       []sandbox.PR
	deploys   []doneDeploy
	incidents []sandbox.Incident
	cards     struct{ done, total int }
}

// doneDeploy is a production deploy as goalpost sees it: finished at At.
type doneDeploy struct {
	repo    string
	at      time.Time
	success bool
}

func newDemoWorld(c *sandbox.Company) *demoWorld {
	w := &demoWorld{c: c, prs: slices.Clone(c.PRs), incidents: slices.Clone(c.Incidents)}
	for _, d := range c.Deploys {
		if d.Environment != "production" {
			continue
		}
		at := d.At
		if d.Repo == "acme/api" {
			at = at.Add(4 * time.Minute) // GitHub's final status comes 4 minutes after the deploy starts
		}
		w.deploys = append(w.deploys, doneDeploy{d.Repo, at, d.Success})
	}
	for _, card := range c.Cards {
		w.cards.total++
		if !card.Done.IsZero() {
			w.cards.done++
		}
	}
	return w
}

// play adds beat b, played at at.
func (w *demoWorld) play(b sandbox.Beat, at time.Time) {
	switch b.Kind {
	case sandbox.BeatMerge:
		w.prs = append(w.prs, sandbox.PR{Repo: b.Repo, Title: b.Title, Labels: b.Labels, MergedAt: at})
	case sandbox.BeatDeploy:
		w.deploys = append(w.deploys, doneDeploy{b.Repo, at, b.Success})
	case sandbox.BeatIncident:
		w.incidents = append(w.incidents, sandbox.Incident{Number: b.Incident, Repo: b.Repo, Opened: at})
	case sandbox.BeatCardDone:
		w.cards.done++
	case sandbox.BeatCardAdded:
		w.cards.total++
	}
}

// expected computes the demo's key results: acme/web ships on merge; an
// acme/api or acme/mobile change ships with the first successful
// production deploy of its repository after its merge (the first deploy
// ships what was merged since the backfill start, a week before the
// period); values count inside the objectives' period, which starts at
// midnight in Lisbon. The launch board's ratio is the share of its cards
// in Done; the change failure rate is the share of production deploys that
// failed or that an incident on their service followed within 24 hours.
func (w *demoWorld) expected() map[string]float64 {
	start := w.c.Anchor.AddDate(0, 0, -7*w.c.Weeks)
	since := start.AddDate(0, 0, -7)
	lisbon, _ := time.LoadLocation("Europe/Lisbon")
	periodStart := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, lisbon)
	var shipped, perf, passkeys float64
	var leads []float64
	for _, pr := range w.prs {
		if slices.Contains(pr.Labels, "perf") && !pr.MergedAt.Before(periodStart) {
			perf++
		}
		at, ok := w.shipTime(pr, since)
		if !ok || at.Before(periodStart) {
			continue
		}
		shipped++
		if pr.Repo == "acme/api" {
			leads = append(leads, at.Sub(pr.MergedAt).Hours())
		}
		if pr.Title == "Passkeys: enable for all users" {
			passkeys = 1
		}
	}
	return map[string]float64{"ship-180": shipped, "perf-30": perf, "passkeys-live": passkeys, "lead-time": median(leads),
		"launch-board": 100 * float64(w.cards.done) / float64(w.cards.total), "change-failure": w.failureRate(periodStart)}
}

func (w *demoWorld) shipTime(pr sandbox.PR, since time.Time) (time.Time, bool) {
	if pr.Repo == "acme/web" {
		return pr.MergedAt, true
	}
	first := true
	for _, d := range w.deploys {
		if d.repo != pr.Repo || !d.success {
			continue
		}
		if d.at.After(pr.MergedAt) && (!first || !pr.MergedAt.Before(since)) {
			return d.at, true
		}
		first = false
	}
	return time.Time{}, false
}

func (w *demoWorld) failureRate(periodStart time.Time) float64 {
	failed := map[int]bool{}
	n := 0
	for i, d := range w.deploys {
		if d.at.Before(periodStart) {
			continue
		}
		n++
		failed[i] = !d.success
	}
	for _, in := range w.incidents {
		blamed := -1 // the latest successful deploy of the incident's repository before it
		for i, d := range w.deploys {
			if d.repo == in.Repo && d.success && !d.at.After(in.Opened) && (blamed < 0 || d.at.After(w.deploys[blamed].at)) {
				blamed = i
			}
		}
		if blamed >= 0 && in.Opened.Sub(w.deploys[blamed].at) <= 24*time.Hour {
			if _, inPeriod := failed[blamed]; inPeriod {
				failed[blamed] = true
			}
		}
	}
	bad := 0
	for _, f := range failed {
		if f {
			bad++
		}
	}
	return 100 * float64(bad) / float64(n)
}

func median(v []float64) float64 {
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
