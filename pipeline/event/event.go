// Package event defines the normalized event: one fact from a source (a merged
// pull request, a successful production deploy, a completed issue) in the one
// shape every connector produces and every rule reads.
package event

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sources.
const (
	SourceGitHub = "github"
	SourceJira   = "jira"
	SourceLinear = "linear"
	SourceDeploy = "deploy"
	SourceAsana  = "asana"
	SourceTrello = "trello"
	SourceGitLab = "gitlab"
	// Incident sources.
	SourcePagerDuty  = "pagerduty"
	SourceIncidentIO = "incidentio"
)

// Kinds. A kind is "<noun>.<verb>"; connectors may add kinds of their own.
const (
	KindPullRequestOpened = "pull_request.opened"
	KindPullRequestMerged = "pull_request.merged"
	KindPullRequestClosed = "pull_request.closed"
	// KindChangeShipped is one pull request reaching production: emitted once per
	// PR (its id is derived from the PR alone), by the first successful production
	// deploy that includes its merge commit, or on merge for ship_on_merge repos.
	KindChangeShipped       = "change.shipped"
	KindDeploymentSucceeded = "deployment.succeeded"
	KindDeploymentFailed    = "deployment.failed"
	KindReleasePublished    = "release.published"
	KindIssueCreated        = "issue.created"
	KindIssueCompleted      = "issue.completed"
	KindIssueReopened       = "issue.reopened"
	KindIssueUpdated        = "issue.updated"
	KindIssueBlocked        = "issue.blocked"
	// KindIssueDeleted is an issue deleted in its tracker (a Jira
	// issue_deleted webhook; a Linear Issue "remove" webhook for an issue
	// moved to the trash). It carries the unit, repo, title, URL and
	// Attrs["deleted"] = "true", but no issue state (no status_category,
	// labels, links or numbers): the engine takes the issue out of every
	// ratio total, while counts already made from its earlier events stand.
	KindIssueDeleted = "issue.deleted"
	// KindIncidentOpened and KindIncidentResolved are an incident's start
	// and end (PagerDuty, incident.io). Both carry Attrs "service" (the
	// incident tool's service name), "severity" and, when the
	// [incidents.services] map names them, "repos" (comma-separated) and
	// "team"; Repo is the first mapped repository. A resolved incident
	// carries Numbers "restore_seconds" (resolved − opened).
	KindIncidentOpened   = "incident.opened"
	KindIncidentResolved = "incident.resolved"
)

// Event is one normalized fact. The ID is the dedupe key: the same fact seen
// by poll, by webhook, by redelivery or by replay must produce the same ID.
type Event struct {
	ID         string    `json:"id"`
	Source     string    `json:"source"`
	Kind       string    `json:"kind"`
	OccurredAt time.Time `json:"occurred_at"`
	// ActorHandle is the raw handle in the source system (GitHub login, Jira
	// accountId, Linear user id). Actor is the person key after identity mapping;
	// connectors leave it empty and the engine fills it from the people directory.
	ActorHandle string `json:"actor_handle,omitempty"`
	Actor       string `json:"actor,omitempty"`
	// Repo is "owner/name" for code hosts, or the project / team key for trackers.
	Repo  string `json:"repo,omitempty"`
	Title string `json:"title,omitempty"`
	URL   string `json:"url,omitempty"`
	// Unit is the unit of work this fact is about ("acme/api#12", "AUTH-123",
	// "ENG-42"). A unit counts once per key result whichever of its events match.
	Unit string `json:"unit,omitempty"`
	// Links are keys of other units this one is tied to (a PR's Jira or Linear
	// issue keys, an issue's epic).
	Links       []string `json:"links,omitempty"`
	Labels      []string `json:"labels,omitempty"`
	Environment string   `json:"environment,omitempty"`
	SHAs        []string `json:"shas,omitempty"`
	// Numbers holds numeric fields (lead_time_seconds, story_points, ...).
	Numbers map[string]float64 `json:"numbers,omitempty"`
	// Attrs holds further string fields (state, status_category, epic, number, ...).
	Attrs map[string]string `json:"attrs,omitempty"`
	// Shipped lists the changes a successful production deploy shipped,
	// at most MaxShippedListed of them (Numbers["shipped_count"] is the
	// full count; each change also has its own change.shipped event), so
	// that a first deploy shipping thousands of PRs stays one message.
	Shipped []ShippedChange `json:"shipped,omitempty"`
}

// MaxShippedListed bounds Event.Shipped (about 300 bytes each, so a deploy
// event stays well under NATS's 1 MB default max payload).
const MaxShippedListed = 1000

// ShippedChange is one pull request carried to production by a deploy.
type ShippedChange struct {
	Number          int       `json:"number"`
	Title           string    `json:"title,omitempty"`
	URL             string    `json:"url,omitempty"`
	AuthorHandle    string    `json:"author_handle"`
	MergedAt        time.Time `json:"merged_at"`
	LeadTimeSeconds float64   `json:"lead_time_seconds"`
}

// AttrCreatedAt is the attribute holding when an issue or incident was
// created (FormatTime), on each of its events, so that rules can read
// `created_at` (an incident resolved this week but created last quarter).
const AttrCreatedAt = "created_at"

// FormatTime is a time as event attributes carry it (RFC 3339 in UTC,
// "" for the zero time).
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// CreatedAt is when e's issue or incident was created (AttrCreatedAt),
// and whether e says.
func (e Event) CreatedAt() (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, e.Attrs[AttrCreatedAt])
	return t, err == nil
}

// IsIssueState reports whether e carries an issue's full current state (a
// unit and a status category): only such events move ratio key results.
func (e Event) IsIssueState() bool {
	return e.Unit != "" && e.Attrs["status_category"] != ""
}

// Validate reports whether e is complete enough to be stored.
func (e Event) Validate() error {
	var errs []error
	if e.ID == "" {
		errs = append(errs, errors.New("missing id"))
	}
	if e.Source == "" || strings.ContainsAny(e.Source, ". *>") {
		errs = append(errs, fmt.Errorf("bad source %q", e.Source))
	}
	if e.Kind == "" || strings.ContainsAny(e.Kind, " *>") {
		errs = append(errs, fmt.Errorf("bad kind %q", e.Kind))
	}
	if e.OccurredAt.IsZero() {
		errs = append(errs, errors.New("missing occurred_at"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("event %q: %w", e.ID, err)
	}
	return nil
}

// Subject is the NATS subject the event is published on, below prefix:
// "<prefix>.<source>.<kind>", e.g. "goalpost.events.github.pull_request.merged".
func (e Event) Subject(prefix string) string {
	return prefix + "." + e.Source + "." + e.Kind
}

// Number returns the numeric field name and whether it is set.
func (e Event) Number(name string) (float64, bool) {
	v, ok := e.Numbers[name]
	return v, ok
}

// Normalize puts times in UTC and drops empty labels and links; connectors call
// it before publishing so that the same fact always serializes the same way.
func (e *Event) Normalize() {
	e.OccurredAt = e.OccurredAt.UTC()
	e.Labels = compact(e.Labels)
	e.Links = compact(e.Links)
	for i := range e.Shipped {
		e.Shipped[i].MergedAt = e.Shipped[i].MergedAt.UTC()
	}
}

func compact(in []string) []string {
	out := in[:0]
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
