package gitlab

import (
	"strconv"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/connectors/internal/keys"
	"github.com/goalpost/goalpost/pipeline/event"
)

// The event builders below are shared by the poller and the webhook: the
// same fact read either way gives the same event, id included. Kinds and
// fields are the GitHub connector's (a merge request is a pull_request.*
// event, its iid the "number"), so rules work unchanged; only the source
// ("gitlab"), the ids and the unit spelling ("group/project!12") differ.

// mrInfo is what goalpost keeps of a merge request.
type mrInfo struct {
	Project   string // path_with_namespace
	IID       int64
	Title     string
	URL       string
	Author    string // username
	Target    string
	Source    string
	MergeSHA  string // merge commit (empty for fast-forward merges)
	SquashSHA string // squash commit (squash merges)
	HeadSHA   string // the source branch's last commit (fast-forward merges land it as is)
	Labels    []string
	Links     []string
	Created   time.Time
	MergedAt  time.Time
	ClosedAt  time.Time
}

// newMRInfo reads a merge request from the REST API.
func newMRInfo(project string, mr *gl.BasicMergeRequest) mrInfo {
	m := mrInfo{
		Project: project, IID: mr.IID, Title: mr.Title, URL: mr.WebURL, Target: mr.TargetBranch,
		Source: mr.SourceBranch, MergeSHA: mr.MergeCommitSHA, SquashSHA: mr.SquashCommitSHA, HeadSHA: mr.SHA,
		Labels: append([]string(nil), mr.Labels...),
		Links:  keys.Find(mr.SourceBranch, mr.Title, mr.Description),
	}
	if mr.Author != nil {
		m.Author = mr.Author.Username
	}
	if mr.CreatedAt != nil {
		m.Created = *mr.CreatedAt
	}
	if mr.ClosedAt != nil {
		m.ClosedAt = *mr.ClosedAt
	}
	if mr.State == "merged" {
		m.MergedAt = orTime(mr.MergedAt, mr.UpdatedAt)
	}
	return m
}

func orTime(ts ...*time.Time) time.Time {
	for _, t := range ts {
		if t != nil && !t.IsZero() {
			return *t
		}
	}
	return time.Time{}
}

func (m mrInfo) merged() bool { return !m.MergedAt.IsZero() }
func (m mrInfo) unit() string { return m.Project + "!" + strconv.FormatInt(m.IID, 10) }

// landed is the commit the merge put on the target branch: the merge
// commit, else the squash commit, else (fast-forward) the head commit.
func (m mrInfo) landed() string {
	switch {
	case m.MergeSHA != "":
		return m.MergeSHA
	case m.SquashSHA != "":
		return m.SquashSHA
	}
	return m.HeadSHA
}

// event returns the merge request event of kind with the given verb and time.
func (m mrInfo) event(kind, verb string, at time.Time) event.Event {
	ev := event.Event{
		ID: "gitlab:mr:" + m.unit() + ":" + verb, Source: event.SourceGitLab, Kind: kind, OccurredAt: at,
		ActorHandle: m.Author, Repo: m.Project, Title: m.Title, URL: m.URL, Unit: m.unit(),
		Links: m.Links, Labels: m.Labels,
		Attrs: map[string]string{"number": strconv.FormatInt(m.IID, 10), "base": m.Target, "head_ref": m.Source},
	}
	if verb == "merged" && m.landed() != "" {
		ev.SHAs = []string{m.landed()}
	}
	ev.Normalize()
	return ev
}

// facts returns the merge request's opened, merged or closed events.
func (m mrInfo) facts() []event.Event {
	out := []event.Event{m.event(event.KindPullRequestOpened, "opened", m.Created)}
	switch {
	case m.merged():
		out = append(out, m.event(event.KindPullRequestMerged, "merged", m.MergedAt))
	case !m.ClosedAt.IsZero():
		out = append(out, m.event(event.KindPullRequestClosed, "closed", m.ClosedAt))
	}
	return out
}

// change is the merge request as attribution sees it.
func (m mrInfo) change() attribution.Change {
	return attribution.Change{
		Source: event.SourceGitLab, Repo: m.Project, Number: m.IID, Unit: m.unit(),
		Title: m.Title, URL: m.URL, Author: m.Author, Labels: m.Labels, Links: m.Links,
		MergedAt: m.MergedAt, MergeSHA: m.MergeSHA, SquashSHA: m.SquashSHA, HeadSHA: m.HeadSHA,
	}
}
