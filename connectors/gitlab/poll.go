package gitlab

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

// pollMRs reads the project's merge requests updated after its cursor,
// oldest update first, following GitLab's next-page links (keyset when the
// server offers them, else offset), never its totals (absent above 10,000).
// Each page is published before the cursor moves to its last update.
func (s *Source) pollMRs(ctx context.Context, p project, pass connector.Pass) error {
	cursor, err := s.cursor(ctx, "mrs:"+p.Path)
	if err != nil {
		return err
	}
	from := pass.From(cursor.At())
	opt := &gl.ListProjectMergeRequestsOptions{State: gl.Ptr("all"), OrderBy: gl.Ptr("updated_at"), Sort: gl.Ptr("asc")}
	opt.PerPage = 100
	opts := []gl.RequestOptionFunc{gl.WithContext(ctx), updatedAfter(cursor, pass)}
	for range maxRangePages {
		page, resp, err := s.api.MergeRequests.ListProjectMergeRequests(p.Path, opt, opts...)
		if err != nil {
			return apiErr("merge requests", err)
		}
		pass.Read(len(page))
		var evs []event.Event
		last := from
		for _, mr := range page {
			m := newMRInfo(p.Path, mr)
			if m.merged() {
				s.att.Remember(m.change())
				evs = append(evs, mergedEvents(s.cfg, m, p.DefaultBranch)...)
			} else {
				evs = append(evs, m.facts()...)
			}
			if mr.UpdatedAt != nil && mr.UpdatedAt.After(last) {
				last = *mr.UpdatedAt
			}
		}
		if len(evs) > 0 {
			if err := s.pub.Publish(ctx, evs...); err != nil {
				return apiErr("publish", err)
			}
		}
		if err := cursor.Advance(ctx, last); err != nil {
			return err
		}
		next, ok := gl.WithNext(resp)
		if !ok {
			return nil
		}
		opts = append(opts[:2], next)
	}
	return nil
}

// pollDeployments reads the project's deployments updated since its
// cursor, oldest update first, and publishes each finished production one
// (success: attributed; failed) in that order, moving the cursor after each.
func (s *Source) pollDeployments(ctx context.Context, p project, pass connector.Pass) error {
	cursor, err := s.cursor(ctx, "deployments:"+p.Path)
	if err != nil {
		return err
	}
	since := s.since()
	if pass.Backfill() {
		since = pass.Since
	}
	st := s.cfg.settingsFor(p.Path)
	opt := &gl.ListProjectDeploymentsOptions{OrderBy: gl.Ptr("updated_at"), Sort: gl.Ptr("asc")}
	if envs := st.Environments; len(envs) == 1 && !hasMeta(envs[0]) {
		opt.Environment = &envs[0]
	} else if len(envs) == 0 {
		opt.Environment = gl.Ptr(DefaultEnvironment)
	}
	opt.PerPage = 100
	opts := []gl.RequestOptionFunc{gl.WithContext(ctx), updatedAfter(cursor, pass)}
	for range maxRangePages {
		page, resp, err := s.api.Deployments.ListProjectDeployments(p.Path, opt, opts...)
		if err != nil {
			return apiErr("deployments", err)
		}
		pass.Read(len(page))
		for _, dep := range page {
			if d, ok := deploymentDeploy(p.Path, st, dep); ok {
				if err := s.att.PublishSince(ctx, d, since); err != nil {
					return err
				}
			}
			if dep.UpdatedAt != nil {
				if err := cursor.Advance(ctx, *dep.UpdatedAt); err != nil {
					return err
				}
			}
		}
		next, ok := gl.WithNext(resp)
		if !ok {
			return nil
		}
		opts = append(opts[:2], next)
	}
	return nil
}

// updatedAfter sets a listing's updated_after: the backfill's start, or
// just after the cursor (the newest update already read), in GitLab's
// millisecond precision. GitLab's updated_after is inclusive and
// client-go sends whole seconds, so without this every poll would read the
// last second's items again: with it, a poll with nothing new gets empty
// pages.
func updatedAfter(cursor *connector.TimeCursor, pass connector.Pass) gl.RequestOptionFunc {
	at := cursor.At().Add(time.Millisecond)
	if pass.Backfill() {
		at = pass.Since
	}
	return func(req *retryablehttp.Request) error {
		q := req.URL.Query()
		q.Set("updated_after", at.UTC().Format("2006-01-02T15:04:05.000Z"))
		req.URL.RawQuery = q.Encode()
		return nil
	}
}

// deploymentDeploy is the finished production deploy a deployment is, if
// it is one.
func deploymentDeploy(path string, st settings, dep *gl.Deployment) (attribution.Deploy, bool) {
	if dep.Environment == nil || !st.isProduction(dep.Environment.Name) || (dep.Status != "success" && dep.Status != "failed") {
		return attribution.Deploy{}, false
	}
	at := orTime(dep.Deployable.FinishedAt, dep.UpdatedAt)
	if at.IsZero() {
		return attribution.Deploy{}, false
	}
	id := strconv.FormatInt(dep.ID, 10)
	d := attribution.Deploy{Source: event.SourceGitLab,
		Key: id, Repo: path, Environment: dep.Environment.Name, SHA: dep.SHA, Succeeded: dep.Status == "success",
		At: at, CreatedAt: orTime(dep.CreatedAt), Attrs: map[string]string{"deployment_id": id, "ref": dep.Ref},
	}
	if dep.User != nil {
		d.Actor = dep.User.Username
	}
	if dep.Deployable.ID != 0 && dep.Deployable.Pipeline.WebURL != "" {
		d.URL = dep.Deployable.Pipeline.WebURL
	}
	return d, true
}

func hasMeta(glob string) bool {
	for _, c := range glob {
		if c == '*' || c == '?' || c == '[' || c == '\\' {
			return true
		}
	}
	return false
}

// fetchMR reads one merge request (the webhook's merge payload lacks the
// author's username when someone else merged, merged_at and the squash
// commit).
func (s *Source) fetchMR(ctx context.Context, path string, iid int64) (mrInfo, error) {
	mr, _, err := s.api.MergeRequests.GetMergeRequest(path, iid, nil, gl.WithContext(ctx))
	if err != nil {
		return mrInfo{}, apiErr("merge request "+path+"!"+strconv.FormatInt(iid, 10), err)
	}
	return newMRInfo(path, &mr.BasicMergeRequest), nil
}

// since is the configured history start, for the webhook.
func (s *Source) since() time.Time { return s.cfg.since() }

// learn tells attribution about a merge request the webhook saw merged.
func (s *Source) learn(m mrInfo) { s.att.Remember(m.change()) }

// attribute attributes and publishes a finished production deploy the
// webhook reported. A deployment the poll has not read the project's
// deployments for yet is left to that poll, which reads it too, oldest
// first (ADR 46, as for GitHub): attributed now, it would ship the whole
// history since since, and the older deployments the poll then reads would
// ship nothing. Pipeline-job deploys ("job-…") only come by webhook.
func (s *Source) attribute(ctx context.Context, d attribution.Deploy) error {
	if !strings.HasPrefix(d.Key, "job-") {
		raw, err := s.cursors.Cursor(ctx, event.SourceGitLab, "deployments:"+d.Repo)
		if err != nil {
			return fmt.Errorf("gitlab cursor deployments:%s: %w", d.Repo, err)
		}
		if raw == "" {
			s.log.Debug("deploy left to the first poll", "project", d.Repo, "deployment", d.Key)
			return nil
		}
	}
	return s.att.PublishSince(ctx, d, s.since())
}
