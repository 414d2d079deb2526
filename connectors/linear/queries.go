package linear

import (
	"context"
	"time"
)

// issueFields is the selection of one issue, the same in the poll's page
// and in the webhook's look-up, so both map to the same facts. Labels and
// relations are bounded so a page stays under the complexity cap.
// inverseRelations are the relations other issues hold to this one: a
// "blocks" relation there is a blocker, read with its state.
const issueFields = `id identifier number title url createdAt updatedAt startedAt completedAt canceledAt
      estimate priorityLabel trashed archivedAt
      state { id name type }
      team { id key }
      project { id name }
      cycle { id number name }
      assignee { id }
      creator { id }
      parent { identifier }
      labels(first: 20) { nodes { name } }
      relations(first: 10) { nodes { type relatedIssue { identifier } } }
      inverseRelations(first: 10) { nodes { type issue { identifier state { type } } } }`

// issuesQuery reads issues updated since a time, a page at a time.
const issuesQuery = `query GoalpostIssues($filter: IssueFilter, $first: Int!, $after: String) {
  issues(filter: $filter, first: $first, after: $after, orderBy: updatedAt, includeArchived: true) {
    nodes {
      ` + issueFields + `
    }
    pageInfo { hasNextPage endCursor }
  }
}`

// issueQuery reads one issue by id: the webhook's look-up of what an Issue
// delivery leaves out (the parent's identifier, relations).
const issueQuery = `query GoalpostIssue($id: String!) {
  issue(id: $id) {
    ` + issueFields + `
  }
}`

// projectsQuery reads projects updated since a time.
const projectsQuery = `query GoalpostProjects($filter: ProjectFilter, $first: Int!, $after: String) {
  projects(filter: $filter, first: $first, after: $after, orderBy: updatedAt, includeArchived: true) {
    nodes {
      id name url createdAt updatedAt startedAt completedAt canceledAt progress
      status { name type }
      lead { id }
    }
    pageInfo { hasNextPage endCursor }
  }
}`

type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

// linearTime formats a time the way Linear's DateTime scalars read it.
func linearTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// issueFilter selects issues updated at or after since, in teams if given.
func issueFilter(since time.Time, teams []string) map[string]any {
	f := map[string]any{"updatedAt": map[string]any{"gte": linearTime(since)}}
	if len(teams) > 0 {
		f["team"] = map[string]any{"key": map[string]any{"in": teams}}
	}
	return f
}

// projectFilter selects projects updated at or after since, shared with at
// least one of teams if given. The filter is applied by Linear, not here:
// ProjectFilter.accessibleTeams is a TeamCollectionFilter, whose "some"
// takes a TeamFilter with the same key comparator the issue filter uses (a
// collection filter has no key of its own, so { accessibleTeams: { key: ... } }
// would be rejected). A project shared by several teams is read when any of
// them is configured, as its issues are.
func projectFilter(since time.Time, teams []string) map[string]any {
	f := map[string]any{"updatedAt": map[string]any{"gte": linearTime(since)}}
	if len(teams) > 0 {
		f["accessibleTeams"] = map[string]any{"some": map[string]any{"key": map[string]any{"in": teams}}}
	}
	return f
}

// pager runs one paginated connection query to the end (hasNextPage false),
// calling page for each page's raw nodes.
type pager[N any] struct {
	client *Client
	query  string
	field  string // "issues" or "projects"
	size   int
}

func (p pager[N]) each(ctx context.Context, filter map[string]any, page func([]N) error) error {
	var after any
	for {
		var out map[string]struct {
			Nodes    []N      `json:"nodes"`
			PageInfo pageInfo `json:"pageInfo"`
		}
		vars := map[string]any{"filter": filter, "first": p.size, "after": after}
		if err := p.client.Do(ctx, p.query, vars, &out); err != nil {
			return err
		}
		conn := out[p.field]
		if err := page(conn.Nodes); err != nil {
			return err
		}
		if !conn.PageInfo.HasNextPage || conn.PageInfo.EndCursor == "" {
			return nil
		}
		after = conn.PageInfo.EndCursor
	}
}
