package githubfake

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// The fake renders with go-github's own types, so what it serves decodes
// exactly as GitHub's answers do; URLs point at github.com like the real ones.
const (
	apiBase  = "https://api.github.com"
	htmlBase = "https://github.com"
)

func ts(t time.Time) *github.Timestamp {
	if t.IsZero() {
		return nil
	}
	return &github.Timestamp{Time: t.UTC()}
}

func user(login string) *github.User {
	if login == "" {
		return nil
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(login))
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return &github.User{
		Login: github.String(login), ID: github.Int64(int64(h.Sum32())), Type: github.String(typ),
		HTMLURL: github.String(htmlBase + "/" + login), URL: github.String(apiBase + "/users/" + login),
	}
}

func (r *repo) render() *github.Repository {
	return &github.Repository{
		ID: github.Int64(r.id), Name: github.String(r.name), FullName: github.String(r.fullName()),
		Owner: user(r.owner), DefaultBranch: github.String(r.defaultBranch),
		HTMLURL:   github.String(htmlBase + "/" + r.fullName()),
		URL:       github.String(apiBase + "/repos/" + r.fullName()),
		CreatedAt: ts(r.createdAt), PushedAt: ts(r.pushedAt), UpdatedAt: ts(r.pushedAt),
		Private: github.Bool(true), Archived: github.Bool(false), Fork: github.Bool(false),
		Visibility: github.String("private"),
	}
}

// renderPull renders the pull-request-simple schema (list endpoints: no
// "merged") or, with full, the pull-request schema.
func (r *repo) renderPull(p *pull, full bool) *github.PullRequest {
	labels := make([]*github.Label, 0, len(p.Labels))
	for _, l := range p.Labels {
		labels = append(labels, &github.Label{Name: github.String(l)})
	}
	out := &github.PullRequest{
		ID: github.Int64(p.id), Number: github.Int(p.Number), State: github.String(p.state),
		Title: github.String(p.Title), Body: github.String(p.Body), User: user(p.Author),
		Labels: labels, Draft: github.Bool(p.Draft),
		CreatedAt: ts(p.CreatedAt), UpdatedAt: ts(p.updatedAt), ClosedAt: ts(p.closedAt), MergedAt: ts(p.mergedAt),
		HTMLURL: github.String(fmt.Sprintf("%s/%s/pull/%d", htmlBase, r.fullName(), p.Number)),
		URL:     github.String(fmt.Sprintf("%s/repos/%s/pulls/%d", apiBase, r.fullName(), p.Number)),
		Head: &github.PullRequestBranch{
			Ref: github.String(p.HeadRef), SHA: github.String(p.headSHA), Repo: r.render(),
			Label: github.String(r.owner + ":" + p.HeadRef), User: user(r.owner),
		},
		Base: &github.PullRequestBranch{
			Ref: github.String(p.Base), SHA: github.String(r.branches[p.Base]), Repo: r.render(),
			Label: github.String(r.owner + ":" + p.Base), User: user(r.owner),
		},
		AuthorAssociation: github.String("MEMBER"),
	}
	if p.mergeSHA != "" {
		out.MergeCommitSHA = github.String(p.mergeSHA)
	}
	if full {
		out.Merged = github.Bool(!p.mergedAt.IsZero())
		out.Commits = github.Int(len(p.commits))
		if p.mergedBy != "" {
			out.MergedBy = user(p.mergedBy)
		}
	}
	return out
}

func (r *repo) renderCommit(c *commit) *github.RepositoryCommit {
	parents := make([]*github.Commit, 0, len(c.parents))
	for _, p := range c.parents {
		parents = append(parents, &github.Commit{
			SHA: github.String(p), URL: github.String(apiBase + "/repos/" + r.fullName() + "/commits/" + p),
		})
	}
	sig := &github.CommitAuthor{Name: github.String(c.author), Email: github.String(c.author + "@users.noreply.github.com"), Date: ts(c.date)}
	return &github.RepositoryCommit{
		SHA: github.String(c.sha),
		Commit: &github.Commit{
			SHA: github.String(c.sha), Message: github.String(c.message), Author: sig, Committer: sig,
		},
		Author: user(c.author), Committer: user(c.author), Parents: parents,
		HTMLURL: github.String(htmlBase + "/" + r.fullName() + "/commit/" + c.sha),
		URL:     github.String(apiBase + "/repos/" + r.fullName() + "/commits/" + c.sha),
	}
}
