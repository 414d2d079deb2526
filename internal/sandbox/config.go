package sandbox

import (
	"fmt"
	"strings"
	"text/template"
	"time"
)

type sandboxKR struct {
	objective, key, title, typ, match, extra string
	baseline, target                         float64
}

// keyResults are the sample company's key results; each has a Notion page.
func keyResults() []sandboxKR {
	return []sandboxKR{
		{objective: "ship-faster", key: "ship-180", title: "Ship 180 changes to production", typ: "count",
			match: `kind == "change.shipped"`, target: 180},
		{objective: "ship-faster", key: "lead-time", title: "Median lead time from merge to production under 24 h", typ: "metric",
			match: `kind == "change.shipped" && repo == "acme/api"`, baseline: 72, target: 24,
			extra: "aggregate = \"median\"\nfield = \"lead_time_seconds\"\ndivide_by = 3600\nunit = \"h\""},
		{objective: "ship-faster", key: "perf-30", title: "Merge 30 performance PRs", typ: "count",
			match: `kind == "pull_request.merged" && has_label("perf")`, target: 30},
		{objective: "ship-faster", key: "change-failure", title: "Change failure rate under 10%", typ: "metric",
			match: `repo == "acme/api" || repo == "acme/mobile"`, baseline: 30, target: 10,
			extra: "aggregate = \"change_failure_rate\"\nunit = \"%\"\n[objectives.key_results.failures]\nsources = [\"failed_deploy\", \"incident\"]\nwindow = \"24h\""},
		{objective: "passwordless", key: "passkeys-live", title: "Passkeys deployed to production", typ: "milestone",
			match: `kind == "change.shipped" && title contains "Passkeys"`, target: 1},
		{objective: "passwordless", key: "launch-board", title: "80% of the passwordless launch board done", typ: "ratio",
			match: `source == "trello"`, target: 80, extra: "scope = \"board:" + trelloBoardID + "\"\nunit = \"%\""},
	}
}

var configTmpl = template.Must(template.New("config").Parse(`# goalpost demo configuration, written by 'goalpost demo'.
# It points goalpost at the sandbox (fake GitHub, GitLab, PagerDuty, Trello,
# Slack and Notion on 127.0.0.1);
# the commands that only read the store (explain, baseline, report, status)
# work on it after the demo has stopped.
data_dir = "{{.DataDir}}"
log_level = "warn"

[server]
listen = "{{.Listen}}"

[engine]
tick_interval = "30s"

[github]
base_url = "{{.GitHubURL}}"
token = "{{.GitHubToken}}"
webhook_secret = "{{.WebhookSecret}}"
poll_interval = "20s"
since = "{{.Since}}"

[[github.repos]]
name = "acme/api"
production_environments = ["production"]

[[github.repos]]
name = "acme/web"
ship_on_merge = true

[gitlab]
base_url = "{{.GitLabURL}}"
token = "{{.GitLabToken}}"
poll_interval = "15s"
since = "{{.Since}}"

[[gitlab.projects]]
path = "acme/mobile"
production_environments = ["production"]

[pagerduty]
base_url = "{{.PagerDutyURL}}"
token = "{{.PagerDutyToken}}"
poll_interval = "15s"
since = "{{.Since}}"

[incidents.services."api"]
repos = ["acme/api"]
team = "platform"

[incidents.services."mobile"]
repos = ["acme/mobile"]
team = "platform"

[trello]
base_url = "{{.TrelloURL}}"
key = "{{.TrelloKey}}"
token = "{{.TrelloToken}}"
poll_interval = "30s"
backfill = "1200h"

[[trello.boards]]
id = "{{.BoardID}}"
done_lists = ["{{.DoneList}}"]

[report]
day = "monday"
time = "09:00"
catch_up = "168h"

[[report.destinations]]
name = "slack"
type = "slack_app"
{{if .SlackURL}}base_url = "{{.SlackURL}}"
token = "{{.SlackToken}}"{{else}}token = "${SLACK_BOT_TOKEN}"{{end}}
channel = "{{.SlackChannel}}"
nudge = ["bo"]

[report.wins]
destination = "slack"
interval = "5m"

[notion]
base_url = "{{.NotionURL}}"
token = "{{.NotionToken}}"
requests_per_second = 10

[[teams]]
name = "platform"
time_zone = "Europe/Lisbon"
{{range .People}}
[[people]]
key = "{{.Key}}"
name = "{{.Name}}"
github = "{{.GitHub}}"
handles = ["gitlab:{{.GitHub}}"]
email = "{{.Key}}@acme.example"
time_zone = "{{.TimeZone}}"
team = "platform"{{if eq .Key "bo"}}
manager = "ana"                # Bo opted in to nudges; Ana gets a copy{{end}}
{{end}}
[[people]]                 # the CI bot that creates deployments: known, not held to the baseline
key = "deploy-bot"
name = "Deploy bot"
github = "deploy-bot"
handles = ["gitlab:deploy-bot"]
role = "bot"

[[objectives]]
key = "ship-faster"
title = "Ship smaller changes, faster"
owner = "ana"
team = "platform"
start = "{{.Start}}"
end = "{{.End}}"
{{range .KRs}}{{if eq .Objective "ship-faster"}}{{template "kr" .}}{{end}}{{end}}
[[objectives]]
key = "passwordless"
title = "Passwordless sign-in"
owner = "bo"
team = "platform"
start = "{{.Start}}"
end = "{{.End}}"
{{range .KRs}}{{if eq .Objective "passwordless"}}{{template "kr" .}}{{end}}{{end}}`))

var _ = template.Must(configTmpl.New("kr").Parse(`
[[objectives.key_results]]
key = "{{.Key}}"
title = "{{.Title}}"
type = "{{.Type}}"
baseline = {{.Baseline}}
target = {{.Target}}
match = '{{.Match}}'
notion_page = "{{.Page}}"
{{.Extra}}
`))

// Config returns the TOML configuration that points goalpost at the running
// sandbox, storing its data under dataDir and listening on listen.
func (s *Sandbox) Config(dataDir, listen string) string {
	type kr struct {
		Objective, Key, Title, Type, Match, Extra, Page string
		Baseline, Target                                float64
	}
	var krs []kr
	for _, k := range keyResults() {
		krs = append(krs, kr{k.objective, k.key, k.title, k.typ, k.match, k.extra, s.Pages[k.key], k.baseline, k.target})
	}
	start := s.Company.Anchor.AddDate(0, 0, -7*s.Company.Weeks)
	var b strings.Builder
	err := configTmpl.Execute(&b, map[string]any{
		"DataDir": dataDir, "Listen": listen, "GitHubURL": s.GitHubURL(), "NotionURL": s.NotionURL(),
		"GitHubToken": GitHubToken, "NotionToken": NotionToken, "WebhookSecret": WebhookSecret,
		"Since": start.AddDate(0, 0, -7).Format(time.DateOnly), "Start": start.Format(time.DateOnly),
		"End": start.AddDate(0, 0, 7*13-1).Format(time.DateOnly), "People": s.Company.Engineers, "KRs": krs,
		"TrelloURL": s.TrelloURL(), "TrelloKey": TrelloKey, "TrelloToken": TrelloToken, "BoardID": trelloBoardID,
		"DoneList": s.board.done, "GitLabURL": s.GitLabURL(), "GitLabToken": GitLabToken,
		"PagerDutyURL": s.PagerDutyURL(), "PagerDutyToken": PagerDutyToken, "SlackURL": s.slackURL(), "SlackToken": SlackToken, "SlackChannel": s.slackChannel(),
	})
	if err != nil {
		panic(fmt.Sprintf("sandbox config template: %v", err)) // the template is fixed at build time
	}
	return b.String()
}
