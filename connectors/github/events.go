package github

import (
	"strconv"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/goalpost/goalpost/connectors/attribution"
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

// change is the PR as attribution sees it.
func (p prInfo) change() attribution.Change {
	return attribution.Change{
		Source: event.SourceGitHub, Repo: p.Repo, Number: int64(p.Number), Unit: p.unit(),
		Title: p.Title, URL: p.URL, Author: p.Author, Labels: p.Labels, Links: p.Links,
		MergedAt: p.MergedAt, MergeSHA: p.MergeSHA,
	}
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
