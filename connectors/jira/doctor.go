package jira

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
)

// Doctor checks, read-only, what the poller needs: the credentials and the
// API user's time zone (JQL dates are read in it), each project, and the
// Flagged field found by name (or the configured id). Options as for
// NewSource.
func Doctor(ctx context.Context, cfg *Config, opts ...Option) []confval.Check {
	o := options{timeout: time.Minute, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	c := cfg.withDefaults()
	a, err := newAPI(&c, &o)
	if err != nil {
		return []confval.Check{{Name: "jira: client", Detail: err.Error(), Fix: "fix [jira] base_url"}}
	}
	var out []confval.Check
	tz, err := a.timeZone(ctx)
	if err != nil {
		return append(out, confval.Check{Name: "jira: credentials", Detail: err.Error(),
			Fix: confval.FixFor(err, "check [jira] email and token (an Atlassian API token on Cloud; a personal access token and no email on Data Center)")})
	}
	out = append(out, confval.Check{Name: "jira: credentials and the API user's time zone", OK: true, Detail: tz.String()})
	for _, key := range c.Projects {
		ck := confval.Check{Name: "jira project " + key + ": readable", OK: true}
		if err := a.do(ctx, http.MethodGet, "rest/api/2/project/"+key, nil, nil); err != nil {
			ck.OK, ck.Detail, ck.Fix = false, err.Error(), fmt.Sprintf("check the project key %s and that the API user may browse it", key)
		}
		out = append(out, ck)
	}
	return append(out, flagCheck(ctx, a, c.Blocked.FlagField))
}

// flagCheck resolves the Flagged field as the poller does.
func flagCheck(ctx context.Context, a *api, configured string) confval.Check {
	ck := confval.Check{Name: "jira: Flagged field", OK: true}
	fields, err := a.fields(ctx)
	if err != nil {
		ck.OK, ck.Detail, ck.Fix = false, err.Error(), "the API user must be able to list fields"
		return ck
	}
	id, found, err := resolveFlagField(configured, fields)
	switch {
	case err != nil:
		ck.OK, ck.Detail, ck.Fix = false, err.Error(), "set [jira.blocked] flag_field to the id named, or leave it unset"
	case !found:
		ck.Detail = `no field named "Flagged": flagged issues cannot count as blocked (labels and statuses still do)`
	case id == "":
		ck.Detail = "off (flag_field = \"-\")"
	default:
		ck.Detail = id
	}
	return ck
}
