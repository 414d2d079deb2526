package github

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v60/github"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/pipeline/event"
)

// translated is what one delivery means.
type translated struct {
	events  []event.Event
	deploys []attribution.Deploy // finished production deploys, to attribute
	merged  []prInfo             // merged PRs, for the attribution index
	repo    *gh.Repository       // the delivery's repository
}

// translate decodes a delivery of the given X-GitHub-Event type. Events
// goalpost does not use decode to nothing; a payload that does not match its
// type's shape is errBadPayload.
func translate(cfg *Config, kind string, payload []byte) (translated, error) {
	switch kind {
	case "pull_request":
		var ev gh.PullRequestEvent
		if err := decode(payload, &ev); err != nil {
			return translated{}, err
		}
		return pullRequestEvents(cfg, &ev), nil
	case "deployment_status":
		var ev gh.DeploymentStatusEvent
		if err := decode(payload, &ev); err != nil {
			return translated{}, err
		}
		return deploymentStatusEvents(cfg, &ev), nil
	case "workflow_run":
		var ev gh.WorkflowRunEvent
		if err := decode(payload, &ev); err != nil {
			return translated{}, err
		}
		return workflowRunEvents(cfg, &ev), nil
	case "release":
		var ev gh.ReleaseEvent
		if err := decode(payload, &ev); err != nil {
			return translated{}, err
		}
		return releaseEvents(&ev), nil
	case "push":
		var ev gh.PushEvent // merges arrive as pull_request events; decoded only to validate
		return translated{}, decode(payload, &ev)
	}
	return translated{}, nil // ping, deployment and everything else: acknowledged, ignored
}

func decode(payload []byte, v any) error {
	if err := json.Unmarshal(payload, v); err != nil {
		return fmt.Errorf("%w: %v", errBadPayload, err)
	}
	return nil
}

// pullRequestEvents: opened → pull_request.opened; closed → the PR's facts
// (opened, and merged or closed), plus change.shipped when the repository
// ships on merge and the PR went into the default branch.
func pullRequestEvents(cfg *Config, ev *gh.PullRequestEvent) translated {
	repo := ev.GetRepo()
	out := translated{repo: repo}
	if ev.PullRequest == nil || repo.GetFullName() == "" {
		return out
	}
	p := newPRInfo(repo.GetFullName(), ev.PullRequest)
	switch ev.GetAction() {
	case "opened":
		out.events = p.facts()[:1]
	case "closed":
		out.events = p.facts()
		st := cfg.settingsFor(p.Repo)
		if p.merged() {
			out.merged = []prInfo{p}
			if st.ShipOnMerge && p.Base == repo.GetDefaultBranch() {
				out.events = append(out.events, p.change().ShippedOnMerge(st.primaryEnvironment()))
			}
		}
	}
	return out
}

// deploymentStatusEvents: a success, failure or error status of a
// production deployment is a finished deploy; other states and environments
// are ignored.
func deploymentStatusEvents(cfg *Config, ev *gh.DeploymentStatusEvent) translated {
	repo, dep, st := ev.GetRepo(), ev.GetDeployment(), ev.GetDeploymentStatus()
	out := translated{repo: repo}
	env := st.GetEnvironment()
	if env == "" {
		env = dep.GetEnvironment()
	}
	if dep.GetID() == 0 || repo.GetFullName() == "" || !cfg.settingsFor(repo.GetFullName()).isProduction(env) {
		return out
	}
	id := strconv.FormatInt(dep.GetID(), 10)
	base := attribution.Deploy{
		Source: event.SourceGitHub, Key: id, Repo: repo.GetFullName(), Environment: env,
		SHA: dep.GetSHA(), Actor: dep.GetCreator().GetLogin(), CreatedAt: dep.GetCreatedAt().Time,
		Attrs: map[string]string{"deployment_id": id, "ref": dep.GetRef()},
	}
	if d, ok := statusDeploy(base, st); ok {
		out.deploys = []attribution.Deploy{d}
	}
	return out
}

// workflowRunEvents: a completed run of the repository's deploy workflow on
// its default branch is a finished deploy.
func workflowRunEvents(cfg *Config, ev *gh.WorkflowRunEvent) translated {
	repo, run := ev.GetRepo(), ev.GetWorkflowRun()
	out := translated{repo: repo}
	st := cfg.settingsFor(repo.GetFullName())
	if ev.GetAction() != "completed" || st.DeployWorkflow == "" || run.GetHeadBranch() != repo.GetDefaultBranch() ||
		!strings.HasSuffix(ev.GetWorkflow().GetPath(), "/"+st.DeployWorkflow) {
		return out
	}
	t := target{repoMeta: repoMeta{FullName: repo.GetFullName(), DefaultBranch: repo.GetDefaultBranch()}, settings: st}
	if d, ok := runDeploy(t, run); ok {
		out.deploys = []attribution.Deploy{d}
	}
	return out
}

// releaseEvents: published (and released, for the same release) →
// release.published.
func releaseEvents(ev *gh.ReleaseEvent) translated {
	out := translated{repo: ev.GetRepo()}
	switch ev.GetAction() {
	case "published", "released":
		if e, ok := releaseEvent(ev.GetRepo().GetFullName(), ev.GetRelease()); ok {
			out.events = []event.Event{e}
		}
	}
	return out
}
