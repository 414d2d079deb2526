package github

import (
	"fmt"
	"strconv"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/goalpost/goalpost/connectors/internal/keys"
	"github.com/goalpost/goalpost/pipeline/event"
)

// The event builders below are shared by the poller and the webhook: the
// same fact read either way must give the same event, id included.

// issueKeys returns the issue keys named in a PR's head branch, title and
// body, first mention first.
func issueKeys(headRef, title, body string) []string { return keys.Find(headRef, title, body) }

// prInfo is what goalpost keeps of a pull request.
type prInfo struct {
	Repo     string
	Number   int
	Title    string
	URL      string
	Author   string
	Base     string
	HeadRef  string
	MergeSHA string
	Labels   []string
	Links    []string
	Created  time.Time
	MergedAt time.Time
	ClosedAt time.Time
}

// newPRInfo reads a pull request of either schema (list endpoints have no
// "merged" field, so merged means merged_at is set).
func newPRInfo(repo string, pr *gh.PullRequest) prInfo {
	labels := make([]string, 0, len(pr.Labels))
	for _, l := range pr.Labels {
		labels = append(labels, l.GetName())
	}
	p := prInfo{
		Repo: repo, Number: pr.GetNumber(), Title: pr.GetTitle(), URL: pr.GetHTMLURL(),
		Author: pr.GetUser().GetLogin(), Base: pr.GetBase().GetRef(), HeadRef: pr.GetHead().GetRef(),
		Labels: labels, Links: issueKeys(pr.GetHead().GetRef(), pr.GetTitle(), pr.GetBody()),
		Created: pr.GetCreatedAt().Time, ClosedAt: pr.GetClosedAt().Time,
	}
	if pr.MergedAt != nil {
		p.MergedAt, p.MergeSHA = pr.GetMergedAt().Time, pr.GetMergeCommitSHA()
	}
	return p
}

func (p prInfo) merged() bool { return !p.MergedAt.IsZero() }
func (p prInfo) unit() string { return p.Repo + "#" + strconv.Itoa(p.Number) }

// event returns the PR event of kind with the given verb and time.
func (p prInfo) event(kind, verb string, at time.Time) event.Event {
	ev := event.Event{
		ID: "github:pr:" + p.unit() + ":" + verb, Source: event.SourceGitHub, Kind: kind, OccurredAt: at,
		ActorHandle: p.Author, Repo: p.Repo, Title: p.Title, URL: p.URL, Unit: p.unit(),
		Links: p.Links, Labels: p.Labels,
		Attrs: map[string]string{"number": strconv.Itoa(p.Number), "base": p.Base, "head_ref": p.HeadRef},
	}
	if verb == "merged" {
		ev.SHAs = []string{p.MergeSHA}
	}
	ev.Normalize()
	return ev
}

// facts returns the PR's opened, merged or closed events.
func (p prInfo) facts() []event.Event {
	out := []event.Event{p.event(event.KindPullRequestOpened, "opened", p.Created)}
	switch {
	case p.merged():
		out = append(out, p.event(event.KindPullRequestMerged, "merged", p.MergedAt))
	case !p.ClosedAt.IsZero():
		out = append(out, p.event(event.KindPullRequestClosed, "closed", p.ClosedAt))
	}
	return out
}

// shipped is the change.shipped event of the PR reaching env at at. Its id
// depends on the PR alone: a PR ships once, whichever deploy (or poll, or
// webhook) reports it first.
func (p prInfo) shipped(env string, at time.Time, deployKey string) event.Event {
	ev := event.Event{
		ID: "github:shipped:" + p.unit(), Source: event.SourceGitHub, Kind: event.KindChangeShipped,
		OccurredAt: at, ActorHandle: p.Author, Repo: p.Repo, Title: p.Title, URL: p.URL, Unit: p.unit(),
		Links: p.Links, Labels: p.Labels, Environment: env, SHAs: []string{p.MergeSHA},
		Numbers: map[string]float64{"lead_time_seconds": p.leadTime(at)},
		Attrs:   map[string]string{"number": strconv.Itoa(p.Number), "deploy": deployKey},
	}
	ev.Normalize()
	return ev
}

func (p prInfo) leadTime(deployedAt time.Time) float64 {
	return max(deployedAt.Sub(p.MergedAt).Seconds(), 0)
}

// releaseEvent is release.published for a published, non-draft release.
func releaseEvent(repo string, rel *gh.RepositoryRelease) (event.Event, bool) {
	if rel.GetDraft() || rel.PublishedAt == nil {
		return event.Event{}, false
	}
	title := rel.GetName()
	if title == "" {
		title = rel.GetTagName()
	}
	ev := event.Event{
		ID:     "github:release:" + repo + ":" + strconv.FormatInt(rel.GetID(), 10),
		Source: event.SourceGitHub, Kind: event.KindReleasePublished, OccurredAt: rel.GetPublishedAt().Time,
		ActorHandle: rel.GetAuthor().GetLogin(), Repo: repo, Title: title, URL: rel.GetHTMLURL(),
		Unit:  repo + "@" + rel.GetTagName(),
		Links: issueKeys("", rel.GetName(), rel.GetBody()),
		Attrs: map[string]string{
			"tag": rel.GetTagName(), "target": rel.GetTargetCommitish(),
			"prerelease": strconv.FormatBool(rel.GetPrerelease()),
		},
	}
	ev.Normalize()
	return ev, true
}

// Deploy is one finished deploy of a repository to a production
// environment, from any source: a GitHub deployment status, a GitHub
// Actions deploy workflow run, or a deploy document posted by CI.
type Deploy struct {
	// Source is event.SourceGitHub or event.SourceDeploy.
	Source string
	// Key identifies the deploy within its source and repository: the
	// deployment id, "run-<id>.<attempt>", or the document's id.
	Key         string
	Repo        string // owner/name
	Environment string
	SHA         string
	Succeeded   bool
	At          time.Time // when it finished
	Actor       string    // who deployed (GitHub login)
	URL         string
	Attrs       map[string]string
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
	return "github:deploy:" + d.Repo + ":" + d.Key + ":" + state
}

// UnattributedEvent is the deploy's event when no attribution is possible
// (the repository is not on GitHub): deployment.succeeded or .failed with
// nothing in Shipped.
func (d Deploy) UnattributedEvent() event.Event {
	ev := d.event(nil)
	if d.Succeeded {
		ev.Attrs["attribution"] = "none"
	}
	return ev
}

// event is the deploy's own event, carrying the PRs it shipped.
func (d Deploy) event(shipped []prInfo) event.Event {
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
		for _, p := range shipped[:min(len(shipped), event.MaxShippedListed)] {
			ev.Shipped = append(ev.Shipped, event.ShippedChange{
				Number: p.Number, Title: p.Title, URL: p.URL, AuthorHandle: p.Author,
				MergedAt: p.MergedAt, LeadTimeSeconds: p.leadTime(d.At),
			})
		}
	}
	ev.Normalize()
	return ev
}
