package githubfake

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/go-github/v60/github"
)

// Release seeds a release.
type Release struct {
	TagName         string
	Name            string
	Body            string
	Author          string
	TargetCommitish string // default: the default branch
	Draft           bool
	Prerelease      bool
	CreatedAt       time.Time // default now
	// PublishedAt defaults to CreatedAt unless Draft.
	PublishedAt time.Time
}

type release struct {
	Release
	id int64
}

// AddRelease creates a release and returns its id.
func (f *Fake) AddRelease(fullName string, rel Release) (int64, error) {
	if rel.TagName == "" {
		return 0, fmt.Errorf("githubfake: release needs a tag name")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repoLocked(fullName)
	if err != nil {
		return 0, err
	}
	rel.TargetCommitish = cmpOr(rel.TargetCommitish, r.defaultBranch)
	if rel.CreatedAt.IsZero() {
		rel.CreatedAt = f.now()
	}
	if rel.PublishedAt.IsZero() && !rel.Draft {
		rel.PublishedAt = rel.CreatedAt
	}
	x := &release{Release: rel, id: f.id()}
	r.releases = append(r.releases, x)
	return x.id, nil
}

func (r *repo) renderRelease(x *release) *github.RepositoryRelease {
	return &github.RepositoryRelease{
		ID: github.Int64(x.id), TagName: github.String(x.TagName), Name: github.String(x.Name),
		Body: github.String(x.Body), TargetCommitish: github.String(x.TargetCommitish),
		Draft: github.Bool(x.Draft), Prerelease: github.Bool(x.Prerelease), Author: user(x.Author),
		CreatedAt: ts(x.CreatedAt), PublishedAt: ts(x.PublishedAt),
		HTMLURL: github.String(fmt.Sprintf("%s/%s/releases/tag/%s", htmlBase, r.fullName(), x.TagName)),
		URL:     github.String(fmt.Sprintf("%s/repos/%s/releases/%d", apiBase, r.fullName(), x.id)),
	}
}

// listReleases serves GET /repos/{owner}/{repo}/releases, newest first.
func (f *Fake) listReleases(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rp := f.repoFor(r)
	if rp == nil {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	sel := slices.Clone(rp.releases)
	slices.SortStableFunc(sel, func(a, b *release) int { return b.CreatedAt.Compare(a.CreatedAt) })
	out := []*github.RepositoryRelease{}
	for _, x := range pageOf(w, r, sel) {
		out = append(out, rp.renderRelease(x))
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, out)
}
