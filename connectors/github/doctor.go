package github

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v60/github"

	"github.com/goalpost/goalpost/internal/confval"
)

// Doctor checks, read-only, what the poller and the redelivery check need:
// each configured repository and organization is readable, and the token
// (or App) can list its pull requests, deployments, the deploy workflow's
// runs and, with hook_id, the hook's deliveries (the App's own with
// app.hook_deliveries). One request per check; hc as for NewClient.
func Doctor(ctx context.Context, cfg *Config, hc *http.Client) []confval.Check {
	c, err := NewClient(cfg, hc)
	if err != nil {
		return []confval.Check{{Name: "github: client", Detail: err.Error(), Fix: "fix [github] token or [github.app]"}}
	}
	api := c.API()
	one := &gh.ListOptions{PerPage: 1}
	var out []confval.Check
	check := func(name, fix string, call func() error) {
		out = append(out, confval.Probe("github "+name, fix, func() (string, error) { return "", call() }))
	}
	for _, r := range cfg.Repos {
		owner, name, _ := strings.Cut(r.Name, "/")
		perm := func(what string) string {
			return fmt.Sprintf("give the token read access to %s on %s (fine-grained: %s: read), or remove the repository", what, r.Name, what)
		}
		check(r.Name+": repository readable", perm("Metadata"), func() error { _, _, err := api.Repositories.Get(ctx, owner, name); return err })
		check(r.Name+": pull requests readable", perm("Pull requests"), func() error {
			_, _, err := api.PullRequests.List(ctx, owner, name, &gh.PullRequestListOptions{State: "all", ListOptions: *one})
			return err
		})
		check(r.Name+": deployments readable", perm("Deployments"), func() error {
			_, _, err := api.Repositories.ListDeployments(ctx, owner, name, &gh.DeploymentsListOptions{ListOptions: *one})
			return err
		})
		if r.DeployWorkflow != "" {
			check(r.Name+": "+r.DeployWorkflow+" runs readable", perm("Actions")+"; check deploy_workflow names a workflow file", func() error {
				_, _, err := api.Actions.ListWorkflowRunsByFileName(ctx, owner, name, r.DeployWorkflow, &gh.ListWorkflowRunsOptions{ListOptions: *one})
				return err
			})
		}
		if r.HookID != 0 {
			check(fmt.Sprintf("%s: hook %d deliveries readable", r.Name, r.HookID), redeliveryFix(r.Name), func() error {
				_, _, err := api.Repositories.ListHookDeliveries(ctx, owner, name, r.HookID, &gh.ListCursorOptions{PerPage: 1})
				return err
			})
		}
	}
	for _, o := range cfg.Orgs {
		check("org "+o.Name+": repositories listable", "give the token read access to the organization's repositories", func() error {
			_, _, err := api.Repositories.ListByOrg(ctx, o.Name, &gh.RepositoryListByOrgOptions{ListOptions: *one})
			return err
		})
		if o.HookID != 0 {
			check(fmt.Sprintf("org %s: hook %d deliveries readable", o.Name, o.HookID), redeliveryFix("org:"+o.Name), func() error {
				_, _, err := api.Organizations.ListHookDeliveries(ctx, o.Name, o.HookID, &gh.ListCursorOptions{PerPage: 1})
				return err
			})
		}
	}
	if cfg.App.HookDeliveries {
		check("app: webhook deliveries readable", redeliveryFix(appScope), func() error {
			app, err := c.AppAPI()
			if err == nil {
				_, _, err = app.Apps.ListHookDeliveries(ctx, &gh.ListCursorOptions{PerPage: 1})
			}
			return err
		})
	}
	return out
}
