package gitlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/connectors/internal/keys"
	"github.com/goalpost/goalpost/pipeline/event"
)

// errBadPayload marks a payload that does not decode (400).
var errBadPayload = errors.New("bad payload")

// translated is what one delivery means.
type translated struct {
	project       string // path_with_namespace ("" when the payload names none)
	defaultBranch string
	events        []event.Event
	deploys       []attribution.Deploy // finished production deploys, to attribute
	merged        []mrInfo             // merged merge requests, for the attribution index
}

// translate decodes a delivery of the given X-Gitlab-Event type (its
// object_kind when the header is absent). Events goalpost does not use
// decode to nothing; a payload that does not match its type's shape is
// errBadPayload.
func translate(cfg *Config, kind string, payload []byte) (translated, error) {
	var probe struct {
		ObjectKind string `json:"object_kind"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return translated{}, fmt.Errorf("%w: %v", errBadPayload, err)
	}
	et := gl.EventType(kind)
	switch {
	case et == gl.EventTypeMergeRequest || (kind == "" && probe.ObjectKind == "merge_request"):
		et = gl.EventTypeMergeRequest
	case et == gl.EventTypeDeployment || (kind == "" && probe.ObjectKind == "deployment"):
		et = gl.EventTypeDeployment
	case et == gl.EventTypePipeline || (kind == "" && probe.ObjectKind == "pipeline"):
		et = gl.EventTypePipeline
	default:
		return translated{}, nil // push, job, note, …: acknowledged, ignored
	}
	parsed, err := gl.ParseWebhook(et, payload)
	if err != nil {
		return translated{}, fmt.Errorf("%w: %v", errBadPayload, err)
	}
	switch ev := parsed.(type) {
	case *gl.MergeEvent:
		return mergeEvents(cfg, ev)
	case *gl.DeploymentEvent:
		return deploymentEvents(cfg, ev)
	case *gl.PipelineEvent:
		return pipelineEvents(cfg, ev)
	}
	return translated{}, nil
}

// mergeEvents: open → pull_request.opened; merge → the merge request's
// facts (plus change.shipped when the project ships on merge and the MR
// went into the default branch); close → pull_request.closed.
func mergeEvents(cfg *Config, ev *gl.MergeEvent) (translated, error) {
	a := ev.ObjectAttributes
	out := translated{project: ev.Project.PathWithNamespace, defaultBranch: ev.Project.DefaultBranch}
	if out.project == "" || a.IID == 0 {
		return out, nil
	}
	created, err := parseTime(a.CreatedAt)
	if err != nil {
		return out, err
	}
	updated, err := parseTime(a.UpdatedAt)
	if err != nil {
		return out, err
	}
	if created.IsZero() || updated.IsZero() {
		return out, fmt.Errorf("%w: merge request without created_at or updated_at", errBadPayload)
	}
	m := mrInfo{
		Project: out.project, IID: a.IID, Title: a.Title, URL: a.URL, Target: a.TargetBranch, Source: a.SourceBranch,
		MergeSHA: a.MergeCommitSHA, HeadSHA: a.LastCommit.ID, Created: created,
		Links: keys.Find(a.SourceBranch, a.Title, a.Description),
	}
	for _, l := range ev.Labels {
		if l != nil {
			m.Labels = append(m.Labels, l.Title)
		}
	}
	if ev.User != nil && a.AuthorID == ev.User.ID {
		m.Author = ev.User.Username
	}
	switch {
	case a.Action == "open" || a.Action == "reopen":
		out.events = m.facts()[:1]
	case a.Action == "merge" || (a.Action == "" && a.State == "merged"):
		// The payload has no merged_at: the merge is its last update.
		m.MergedAt = updated
		out.events, out.merged = mergedEvents(cfg, m, out.defaultBranch), []mrInfo{m}
	case a.Action == "close":
		m.ClosedAt = updated
		out.events = m.facts()
	}
	return out, nil
}

// mergedEvents are a merged merge request's facts, plus change.shipped
// when its project ships on merge and it went into the default branch.
func mergedEvents(cfg *Config, m mrInfo, defaultBranch string) []event.Event {
	evs := m.facts()
	if cfg.settingsFor(m.Project).ShipOnMerge && m.Target == defaultBranch {
		evs = append(evs, m.change().ShippedOnMerge(DefaultEnvironment))
	}
	return evs
}

// deploymentEvents: a success or failure of a production deployment is a
// finished deploy; running, canceled and other environments are ignored.
func deploymentEvents(cfg *Config, ev *gl.DeploymentEvent) (translated, error) {
	out := translated{project: ev.Project.PathWithNamespace}
	if out.project == "" || ev.DeploymentID == 0 || !cfg.settingsFor(out.project).isProduction(ev.Environment) {
		return out, nil
	}
	if ev.Status != "success" && ev.Status != "failed" {
		return out, nil
	}
	at, err := parseTime(ev.StatusChangedAt)
	if err != nil {
		return out, err
	}
	if at.IsZero() {
		return out, fmt.Errorf("%w: deployment without status_changed_at", errBadPayload)
	}
	d := attribution.Deploy{Source: event.SourceGitLab,
		Key: strconv.FormatInt(ev.DeploymentID, 10), Repo: out.project, Environment: ev.Environment,
		SHA: commitSHA(ev.CommitURL, ev.ShortSHA), Succeeded: ev.Status == "success", At: at,
		URL: ev.DeployableURL, Attrs: map[string]string{"deployment_id": strconv.FormatInt(ev.DeploymentID, 10), "ref": ev.Ref},
	}
	if ev.User != nil {
		d.Actor = ev.User.Username
	}
	out.deploys = []attribution.Deploy{d}
	return out, nil
}

// pipelineEvents: with deploy_job set, a finished run of that job in a
// pipeline on the default branch is a deploy.
func pipelineEvents(cfg *Config, ev *gl.PipelineEvent) (translated, error) {
	out := translated{project: ev.Project.PathWithNamespace}
	st := cfg.settingsFor(out.project)
	a := ev.ObjectAttributes
	if out.project == "" || st.DeployJob == "" || a.Ref != ev.Project.DefaultBranch || a.Tag {
		return out, nil
	}
	for _, b := range ev.Builds {
		if b.Name != st.DeployJob || (b.Status != "success" && b.Status != "failed") {
			continue
		}
		at, err := parseTime(b.FinishedAt)
		if err != nil {
			return out, err
		}
		if at.IsZero() {
			continue // not finished
		}
		d := jobDeploy(out.project, b.ID, a.SHA, b.Status == "success", at)
		d.CreatedAt, _ = parseTime(b.StartedAt) // zero when absent
		if b.User != nil {
			d.Actor = b.User.Username
		}
		out.deploys = append(out.deploys, d)
	}
	return out, nil
}

// jobDeploy is the deploy of one deploy-job run.
func jobDeploy(project string, jobID int64, sha string, ok bool, at time.Time) attribution.Deploy {
	id := strconv.FormatInt(jobID, 10)
	return attribution.Deploy{Source: event.SourceGitLab,
		Key: "job-" + id, Repo: project, Environment: DefaultEnvironment, SHA: sha, Succeeded: ok, At: at,
		Attrs: map[string]string{"job_id": id},
	}
}

// shaRE finds a full commit sha at the end of a commit URL.
var shaRE = regexp.MustCompile(`/commit/([0-9a-f]{40})$`)

// commitSHA is the full sha from a Deployment Hook's commit_url (the payload
// has only an 8-character short_sha), else the short one.
func commitSHA(commitURL, short string) string {
	if m := shaRE.FindStringSubmatch(commitURL); m != nil {
		return m[1]
	}
	return short
}

// timeLayouts are the formats GitLab webhooks use.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 UTC",
}

// parseTime reads a webhook timestamp in any of GitLab's formats; "" is the
// zero time.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: unreadable time %q", errBadPayload, s)
}
