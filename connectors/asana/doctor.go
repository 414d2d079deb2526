package asana

import (
	"context"
	"net/url"

	"github.com/goalpost/goalpost/internal/confval"
)

// Doctor checks, read-only, what the poller and the sink need: the token is
// valid, each configured project is readable, and each goal key results
// write to (asana_goal) is readable (one without a metric gets one on the
// first write). opts as for NewClient.
func Doctor(ctx context.Context, cfg *Config, goals []string, opts ...ClientOption) []confval.Check {
	c := NewClient(cfg.BaseURL, cfg.Token, cfg.RequestsPerMinute, opts...)
	var out []confval.Check
	check := func(name, fix string, call func() (string, error)) {
		out = append(out, confval.Probe("asana "+name, fix, call))
	}
	check("token valid", "set [asana] token to a personal access token (My Settings → Apps → Developer apps)", func() (string, error) {
		var me struct{ Email string }
		_, err := c.Get(ctx, "/users/me", url.Values{"opt_fields": {"email"}}, &me)
		return "as " + me.Email, err
	})
	for _, p := range cfg.Projects {
		check("project "+p+": readable", "add the token's user to project "+p+", or remove it", func() (string, error) {
			var proj struct{ Name string }
			_, err := c.Get(ctx, "/projects/"+p, url.Values{"opt_fields": {"name"}}, &proj)
			return proj.Name, err
		})
	}
	for _, g := range goals {
		check("goal "+g+": readable", "give the token's user access to goal "+g+", or change the key result's asana_goal", func() (string, error) {
			var goal struct{ Name string }
			_, err := c.Get(ctx, "/goals/"+g, url.Values{"opt_fields": {"name"}}, &goal)
			return goal.Name, err
		})
	}
	return out
}
