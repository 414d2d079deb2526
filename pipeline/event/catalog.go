package event

// Catalog is what one source's events can carry: their kinds, attributes
// (Attrs keys) and numbers (Numbers keys). goalpost check warns on match
// rules that name anything no configured source produces. Numbers mapped
// from a tracker's custom fields (Jira number_fields, Asana number custom
// fields) are not listed: OpenNumbers says a source has them.
type Catalog struct {
	Kinds, Attrs, Numbers []string
	OpenNumbers           bool
}

var (
	changeKinds   = []string{KindPullRequestOpened, KindPullRequestMerged, KindPullRequestClosed, KindChangeShipped, KindDeploymentSucceeded, KindDeploymentFailed}
	changeAttrs   = []string{"number", "base", "head_ref", "deployment_id", "ref", "deploy", "attribution", "previous_sha"}
	changeNumbers = []string{"lead_time_seconds", "shipped_count"}
	issueKinds    = []string{KindIssueCreated, KindIssueCompleted, KindIssueReopened, KindIssueUpdated, KindIssueBlocked, KindIssueDeleted}
	issueAttrs    = []string{"status", "status_category", "resolution", "blocked", "deleted", "project", "updated_at"}
	issueNumbers  = []string{"resolution_seconds", "cycle_seconds", "story_points"}
)

// CatalogOf returns what source's events can carry (the zero Catalog for a
// source goalpost has no connector for).
func CatalogOf(source string) Catalog {
	switch source {
	case SourceGitHub:
		return Catalog{Kinds: append(changeKinds, KindReleasePublished),
			Attrs:   append(changeAttrs, "tag", "target", "prerelease", "workflow", "run_id"),
			Numbers: changeNumbers}
	case SourceGitLab:
		return Catalog{Kinds: changeKinds, Attrs: append(changeAttrs, "job_id"), Numbers: changeNumbers}
	case SourceDeploy:
		return Catalog{Kinds: changeKinds[3:], Attrs: changeAttrs, Numbers: changeNumbers}
	case SourceJira:
		return Catalog{Kinds: issueKinds, Attrs: append(issueAttrs, "epic", "parent", "issue_id", "issue_type", "priority"),
			Numbers: issueNumbers, OpenNumbers: true}
	case SourceLinear:
		return Catalog{Kinds: append(issueKinds, "project.updated", "project.completed"),
			Attrs:   append(issueAttrs, "epic", "issue_id", "priority", "project_id", "cycle", "blocked_by"),
			Numbers: append(issueNumbers, "estimate", "progress")}
	case SourceAsana:
		return Catalog{Kinds: issueKinds, Attrs: append(issueAttrs, "parent", "section", "assignee", "done", "due_on",
			"permalink", "points", "project_id", "task_id"), Numbers: issueNumbers, OpenNumbers: true}
	case SourceTrello:
		return Catalog{Kinds: issueKinds, Attrs: append(issueAttrs, "section", "card_id", "list_id", "due", "members", "number")}
	case SourcePagerDuty, SourceIncidentIO:
		return Catalog{Kinds: []string{KindIncidentOpened, KindIncidentResolved},
			Attrs: []string{"service", "service_id", "severity", "status", "ref"}, Numbers: []string{"restore_seconds"}}
	}
	return Catalog{}
}
