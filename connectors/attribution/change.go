package attribution

import (
	"fmt"
	"strconv"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// Change is a merged change request (a GitHub pull request, a GitLab merge
// request) as attribution needs it.
type Change struct {
	Source string // the host's event source: github, gitlab
	Repo   string // owner/name, group/project
	Number int64  // the pull request number, the merge request iid
	Unit   string // how people name it: "acme/api#12", "acme/api!12"
	Title  string
	URL    string
	Author string // the host's handle
	Labels []string
	Links  []string // issue keys it names
	// MergedAt is when it merged; a zero time is a change not merged.
	MergedAt time.Time
	// The commits that put it on the target branch. A deploy whose range
	// holds any of them shipped it; the index knows it by the first two.
	MergeSHA  string // the merge commit (GitHub: also a squash or rebase result)
	SquashSHA string // a separate squash commit (GitLab)
	HeadSHA   string // the source branch head, which a fast-forward merge lands as is (GitLab)
}

func (c Change) merged() bool { return !c.MergedAt.IsZero() }

// landed is the commit the merge put on the target branch: the merge
// commit, else the squash commit, else (fast-forward) the head commit.
func (c Change) landed() string {
	switch {
	case c.MergeSHA != "":
		return c.MergeSHA
	case c.SquashSHA != "":
		return c.SquashSHA
	}
	return c.HeadSHA
}

func (c Change) leadTime(deployedAt time.Time) float64 {
	return max(deployedAt.Sub(c.MergedAt).Seconds(), 0)
}

// ShippedOnMerge is the change.shipped event of a change in a repository
// that deploys on merge (Config.ShipOnMerge): it reached env when it merged.
func (c Change) ShippedOnMerge(env string) event.Event {
	return c.shipped(env, c.MergedAt, "merge")
}

// shipped is the change.shipped event of the change reaching env at at. Its
// id depends on the change alone: a change ships once, whichever deploy (or
// poll, or webhook) reports it first.
func (c Change) shipped(env string, at time.Time, deployKey string) event.Event {
	ev := event.Event{
		ID: c.Source + ":shipped:" + c.Unit, Source: c.Source, Kind: event.KindChangeShipped,
		OccurredAt: at, ActorHandle: c.Author, Repo: c.Repo, Title: c.Title, URL: c.URL, Unit: c.Unit,
		Links: c.Links, Labels: c.Labels, Environment: env,
		Numbers: map[string]float64{"lead_time_seconds": c.leadTime(at)},
		Attrs:   map[string]string{"number": strconv.FormatInt(c.Number, 10), "deploy": deployKey},
	}
	if sha := c.landed(); sha != "" {
		ev.SHAs = []string{sha}
	}
	ev.Normalize()
	return ev
}

// Deploy is one finished deploy of a repository to a production
// environment, from any source: a GitHub deployment status or deploy
// workflow run, a GitLab deployment or deploy job, or a deploy document
// posted by CI.
type Deploy struct {
	// Source is the host's event source, or event.SourceDeploy for a
	// deploy document.
	Source string
	// Key identifies the deploy within its source and repository: the
	// deployment id, "run-<id>.<attempt>", "job-<id>", or the document's id.
	Key         string
	Repo        string // owner/name, group/project
	Environment string
	SHA         string
	Succeeded   bool
	At          time.Time // when it finished
	// CreatedAt is when the deploy was created or started (zero: unknown),
	// for Config.ShippedAt = ShippedAtCreated.
	CreatedAt time.Time
	Actor     string // who deployed (the host's handle)
	URL       string
	Attrs     map[string]string
}

// EventID is the id of the deploy's deployment.succeeded or
// deployment.failed event.
func (d Deploy) EventID() string {
	state := "failed"
	if d.Succeeded {
		state = "succeeded"
	}
	if d.Source == event.SourceDeploy {
		return "deploy:" + d.Repo + ":" + d.Environment + ":" + d.Key + ":" + state
	}
	return d.Source + ":deploy:" + d.Repo + ":" + d.Key + ":" + state
}

// Event is the deploy's own event without attribution: deployment.failed,
// or deployment.succeeded with nothing in Shipped (attribution "none":
// the repository is on no host goalpost reads).
func (d Deploy) Event() event.Event {
	ev := d.event(nil, d.At)
	if d.Succeeded {
		ev.Attrs["attribution"] = "none"
	}
	return ev
}

// event is the deploy's own event, carrying the changes it shipped (their
// lead times to shippedAt).
func (d Deploy) event(shipped []Change, shippedAt time.Time) event.Event {
	kind := event.KindDeploymentFailed
	if d.Succeeded {
		kind = event.KindDeploymentSucceeded
	}
	attrs := map[string]string{"deploy": d.Key}
	for k, v := range d.Attrs {
		attrs[k] = v
	}
	ev := event.Event{
		ID: d.EventID(), Source: d.Source, Kind: kind, OccurredAt: d.At, ActorHandle: d.Actor,
		Repo: d.Repo, URL: d.URL, Unit: d.Repo + ":deploy:" + d.Key, Environment: d.Environment,
		Title: fmt.Sprintf("deploy %.7s to %s", d.SHA, d.Environment),
		SHAs:  []string{d.SHA}, Attrs: attrs,
	}
	if d.Succeeded {
		ev.Numbers = map[string]float64{"shipped_count": float64(len(shipped))}
		for _, c := range shipped[:min(len(shipped), event.MaxShippedListed)] {
			ev.Shipped = append(ev.Shipped, event.ShippedChange{
				Number: int(c.Number), Title: c.Title, URL: c.URL, AuthorHandle: c.Author,
				MergedAt: c.MergedAt, LeadTimeSeconds: c.leadTime(shippedAt),
			})
		}
	}
	ev.Normalize()
	return ev
}
