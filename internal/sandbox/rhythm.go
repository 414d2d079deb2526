package sandbox

import (
	"fmt"
	"math/rand/v2"
)

// BeatKind is what happens at one beat of the simulated company's day.
type BeatKind int

// The beats. A merge on acme/web ships at once (ship_on_merge); one on
// acme/api or acme/mobile waits for the repository's next successful
// production deploy, which ships everything merged since the last one.
const (
	BeatQuiet     BeatKind = iota // reviews and meetings: nothing goalpost sees
	BeatMerge                     // a pull request (GitHub) or merge request (GitLab) merged
	BeatDeploy                    // a production deploy finished, succeeded or failed
	BeatIncident                  // a PagerDuty incident opened on the service of Repo
	BeatResolve                   // the incident Incident was resolved
	BeatCardDone                  // the oldest open launch-board card reached Done
	BeatCardAdded                 // a card was added to the launch board's To do
)

// Beat is one step of the simulation, decided by the seed alone: what
// happens, not when (the simulator stamps it with its clock).
type Beat struct {
	Kind     BeatKind
	Repo     string   // merges, deploys, incidents: acme/api, acme/web (GitHub) or acme/mobile (GitLab)
	Author   string   // merges: the engineer's key
	Title    string   // merges, incidents, added cards
	Labels   []string // merges
	Success  bool     // deploys
	Incident int      // incidents and resolutions: the incident's number
}

// The live rhythm, per beat (a beat is 10 s by default: 360 an hour). The
// rates keep every moving key result short of its target for more than an
// hour: about 45 changes ship an hour, 5 of them labelled perf and 7 on
// acme/api (whose median lead time would reach its target after 13).
const (
	pMergeAPI    = 0.020
	pMergeWeb    = 0.060
	pMergeMobile = 0.030
	pDeploy      = 0.025 // per repository
	pCard        = 0.015
	pPerf        = 0.15
	pFail        = 0.03 // a deploy fails
	pIncident    = 0.02 // an incident follows a successful deploy
	beatsPerHour = 360
)

// badRelease is each hour's bad patch, by beat within the hour: from
// minute 10, two acme/api deploys fail, the fix that goes out is followed
// by an incident, and a mobile deploy fails. The change failure rate climbs
// out of its tolerance, and the rest of the hour's deploys bring it back.
var badRelease = map[int]Beat{
	60:  {Kind: BeatDeploy, Repo: repoAPI},
	66:  {Kind: BeatDeploy, Repo: repoAPI},
	78:  {Kind: BeatDeploy, Repo: repoAPI, Success: true, Incident: -1},
	100: {Kind: BeatDeploy, Repo: repoMobile},
}

var liveTitles = []string{
	"Fix flaky checkout test", "Add retries to the webhook sender", "Move session store to Redis",
	"Show plan limits in settings", "Log the request id on errors", "Rename the billing cron",
	"Upgrade the Postgres driver", "Explain rate limits in the API docs", "Tidy the onboarding emails",
}

var perfTitles = []string{
	"Cache the pricing lookup", "Paginate the audit log API", "Trim the login bundle",
	"Index orders by customer", "Batch the search indexer writes", "Lazy-load the dashboard charts",
}

// Rhythm is the seeded sequence of beats. It keeps the little state that
// decides what may happen next (merges waiting for a deploy, open
// incidents, the launch board's share done), so that beats stay plausible.
type Rhythm struct {
	rng      *rand.Rand
	i        int
	people   []Engineer
	queue    []Beat         // beats already decided for the next steps
	resolves map[int]int    // beat index → incident number resolved then
	open     map[int]string // open incidents' repositories, by number
	incident int            // the last incident number
	done     int            // launch-board cards done
	total    int            // launch-board cards
}

// NewRhythm starts the rhythm for company c from seed.
func NewRhythm(c *Company, seed uint64) *Rhythm {
	r := &Rhythm{rng: rand.New(rand.NewPCG(seed, seed^0x5a0d1e)), people: c.Engineers,
		resolves: map[int]int{}, open: map[int]string{}, incident: len(c.Incidents), total: len(c.Cards)}
	for _, card := range c.Cards {
		if !card.Done.IsZero() {
			r.done++
		}
	}
	return r
}

// Beats returns the first n beats of seed's rhythm for company c.
func Beats(c *Company, seed uint64, n int) []Beat {
	r := NewRhythm(c, seed)
	out := make([]Beat, n)
	for i := range out {
		out[i] = r.Next()
	}
	return out
}

// Next decides the next beat.
func (r *Rhythm) Next() Beat {
	i := r.i
	r.i++
	u := r.rng.Float64()
	if n, ok := r.resolves[i]; ok {
		delete(r.resolves, i)
		b := Beat{Kind: BeatResolve, Repo: r.open[n], Incident: n}
		delete(r.open, n)
		return b
	}
	if len(r.queue) > 0 {
		b := r.queue[0]
		r.queue = r.queue[1:]
		return b
	}
	if b, ok := badRelease[i%beatsPerHour]; ok {
		return r.deploy(b.Repo, !b.Success, b.Incident < 0)
	}
	switch pick(u, pMergeAPI, pMergeWeb, pMergeMobile, pDeploy, pDeploy, pCard) {
	case 0:
		return r.merge(repoAPI)
	case 1:
		return r.merge(repoWeb)
	case 2:
		return r.merge(repoMobile)
	case 3, 4:
		repo := map[bool]string{true: repoAPI, false: repoMobile}[u < pMergeAPI+pMergeWeb+pMergeMobile+pDeploy]
		return r.deploy(repo, r.rng.Float64() < pFail, r.rng.Float64() < pIncident)
	case 5:
		return r.card()
	}
	return Beat{Kind: BeatQuiet}
}

func (r *Rhythm) merge(repo string) Beat {
	e := r.people[r.rng.IntN(len(r.people))]
	b := Beat{Kind: BeatMerge, Repo: repo, Author: e.Key, Title: liveTitles[r.rng.IntN(len(liveTitles))]}
	if r.rng.Float64() < pPerf {
		b.Title, b.Labels = perfTitles[r.rng.IntN(len(perfTitles))], []string{"perf"}
	}
	return b
}

// deploy ships what waited on repo since its last successful deploy (with
// nothing waiting, it redeploys the same commit: a configuration change),
// or fails. An incident on the service follows a successful deploy, when
// inc, two beats later; it is resolved 6 to 20 beats after that.
func (r *Rhythm) deploy(repo string, fail, inc bool) Beat {
	b := Beat{Kind: BeatDeploy, Repo: repo, Success: !fail}
	if !fail && inc {
		r.incident++
		n := r.incident
		r.open[n] = repo
		r.queue = append(r.queue, Beat{Kind: BeatQuiet},
			Beat{Kind: BeatIncident, Repo: repo, Incident: n, Title: incidentTitle(repo, n)})
		r.resolves[r.i+2+6+r.rng.IntN(15)] = n
	}
	return b
}

// card finishes the oldest open card unless that would take the board to
// 80% done; otherwise (and now and then anyway) the team adds a card.
func (r *Rhythm) card() Beat {
	add := r.rng.Float64() < 0.35
	if !add && 5*(r.done+1) < 4*r.total {
		r.done++
		return Beat{Kind: BeatCardDone}
	}
	r.total++
	return Beat{Kind: BeatCardAdded, Title: fmt.Sprintf("Launch follow-up %d", r.total)}
}

func incidentTitle(repo string, n int) string {
	return fmt.Sprintf("Error rate up on %s after deploy (#%d)", serviceOf(repo), n)
}

// pick is the index of the weight u falls in, the weights laid end to end
// from 0 (-1: past them all).
func pick(u float64, weights ...float64) int {
	for i, w := range weights {
		if u < w {
			return i
		}
		u -= w
	}
	return -1
}
