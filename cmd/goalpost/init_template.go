package main

// initTemplate is the starter configuration goalpost init writes. Secrets
// are ${ENV} references, never values; what the user must still decide is
// a comment that says so.
const initTemplate = `# goalpost configuration, written by 'goalpost init' from what the tokens in
# the environment can see. Every key and its default: config.example.toml.
#
# Next: write your key results at the end of this file, then
#   goalpost check -c THIS-FILE     # no network
#   goalpost doctor -c THIS-FILE    # read-only, with the real credentials
# Secrets are ${ENV_VAR} references read from the environment at start.

data_dir = "./data"
log_level = "info"

[server]
listen = "127.0.0.1:8080"    # webhooks arrive at /webhooks/<source>
{{with .GitHub}}
[github]
{{- if .BaseURL}}
base_url = {{q .BaseURL}}
{{- end}}
token = "${GITHUB_TOKEN}"
# webhook_secret = "${GITHUB_WEBHOOK_SECRET}"   # enables /webhooks/github (at least 16 characters)
production_environments = ["production"]
{{range .Repos}}
[[github.repos]]
name = {{q .Name}}
{{- if .Environments}}
production_environments = {{list .Environments}}
{{- else}}
# no production-looking environment found: name the one your deploys use,
# set deploy_workflow = "deploy.yml", or ship_on_merge = true
{{- end}}
{{end}}{{if not .Repos}}# the token can read no repository: add [[github.repos]] name = "OWNER/REPO"
{{end}}{{end}}
{{- with .GitLab}}
[gitlab]
{{- if .BaseURL}}
base_url = {{q .BaseURL}}
{{- end}}
token = "${GITLAB_TOKEN}"
# webhook_secret = "${GITLAB_WEBHOOK_SECRET}"   # the hook's secret token; enables /webhooks/gitlab
production_environments = ["production"]
{{range .Projects}}
[[gitlab.projects]]
path = {{q .Path}}
{{- if .Environments}}
production_environments = {{list .Environments}}
{{- else}}
# no production-looking environment found: name the one your deploys use,
# set deploy_job = "deploy", or ship_on_merge = true
{{- end}}
{{end}}{{if not .Projects}}# the token is a member of no project: add [[gitlab.projects]] path = "GROUP/PROJECT"
{{end}}{{end}}
{{- with .Jira}}
[jira]
base_url = {{q .BaseURL}}
{{- if .Email}}
email = {{q .Email}}
{{- else}}
email = ""                   # Data Center: the token is a personal access token
{{- end}}
token = "${JIRA_API_TOKEN}"
# webhook_secret = "${JIRA_WEBHOOK_SECRET}"   # enables /webhooks/jira
{{- if .Projects}}
projects = {{list .Projects}}   # every project the API user can browse: keep yours
{{- else}}
projects = []                # the API user can browse no project: add keys, or set jql
{{- end}}
{{end}}
{{- with .Linear}}
[linear]
{{- if $.LinearURL}}
base_url = {{q $.LinearURL}}
{{- end}}
api_key = "${LINEAR_API_KEY}"
# webhook_secret = "${LINEAR_WEBHOOK_SECRET}"   # enables /webhooks/linear
teams = [{{range $i, $t := .Teams}}{{if $i}}, {{end}}{{q $t.Key}}{{end}}]   # {{range $i, $t := .Teams}}{{if $i}}, {{end}}{{$t.Key}}: {{$t.Name}}{{end}}
{{- if .Projects}}
# Projects the key can see (a key result's linear_project takes the id):
{{- range .Projects}}
#   {{.ID}}  {{.Name}}
{{- end}}
{{- end}}
{{end}}
{{- with .Asana}}
[asana]
{{- if .BaseURL}}
base_url = {{q .BaseURL}}
{{- end}}
token = "${ASANA_TOKEN}"
# webhooks = true            # /webhooks/asana; goalpost registers them and keeps Asana's handshake secret
{{- if .Projects}}
# every project the token can see: keep yours
projects = [{{range $i, $p := .Projects}}{{if $i}}, {{end}}{{q $p.GID}}{{end}}]
{{- range .Projects}}
#   {{.GID}}  {{.Name}} ({{.Workspace}})
{{- end}}
{{- else}}
projects = []                # the token sees no project: add project gids
{{- end}}
{{end}}
{{- with .Trello}}
[trello]
{{- if .BaseURL}}
base_url = {{q .BaseURL}}
{{- end}}
key = "${TRELLO_KEY}"
token = "${TRELLO_TOKEN}"
# secret = "${TRELLO_SECRET}"   # the app's secret: enables /webhooks/trello (needs callback_url)
{{range .Boards}}
[[trello.boards]]
id = {{q .ID}}   # {{.Name}}
done_lists = [{{range $i, $l := .DoneLists}}{{if $i}}, {{end}}{{q $l.ID}}{{end}}]   # {{range $i, $l := .DoneLists}}{{if $i}}, {{end}}{{$l.Name}}{{end}}{{if .DoneGuessed}} (the board's last list: check){{end}}
{{- range .Lists}}
#   list {{.ID}}  {{.Name}}
{{- end}}
{{end}}{{if not .Boards}}# the token's member has no open board: add [[trello.boards]] id = "BOARD-ID"
{{end}}{{end}}
{{- if .NotionOn}}
[notion]
{{- if .NotionURL}}
base_url = {{q .NotionURL}}
{{- end}}
token = "${NOTION_TOKEN}"
{{- if .Notion}}
# Databases shared with the integration that look like key results (a key
# result's notion_page takes the id of one of their pages):
{{- range .Notion}}
#   {{.ID}}  {{.Title}}
{{- end}}
{{- else}}
# No shared database has number properties "Current" and "Target" yet:
# share the key results' pages (or their database) with the integration.
{{- end}}
{{end}}
[[teams]]
name = "team"
time_zone = "UTC"            # reports and weeks follow it: e.g. "Europe/Berlin"
week_start = "monday"
{{range .People}}
[[people]]
key = {{q .Key}}
name = {{q .Name}}
{{- if .Email}}
email = {{q .Email}}
{{- end}}
{{- if .GitHub}}
github = {{q .GitHub}}
{{- end}}
{{- if .Jira}}
jira = {{q .Jira}}
{{- end}}
{{- if .Linear}}
linear = {{q .Linear}}
{{- end}}
{{- if .Handles}}
handles = {{list .Handles}}
{{- end}}
team = "team"
role = "engineer"            # only engineers are held to the weekly baseline; "bot" for CI accounts
{{end}}
# Objectives and key results: yours to write. Two worked examples follow;
# uncomment them, change the titles and targets, and add your own. Types:
# count | milestone | ratio | metric | manual (config.example.toml has one of each).
#
# [[objectives]]
# key = "ship-faster"
# title = "Ship smaller changes, faster"
# team = "team"
# period = "2026-Q4"           # or start = "YYYY-MM-DD" and end = "YYYY-MM-DD"
#
# [[objectives.key_results]]   # 1: count what reaches production
# key = "ship-80"
# title = "Ship 80 changes to production"
# type = "count"
# baseline = 0
# target = 80
# match = '{{.ShipExample}}'
# notion_page = ""             # a Notion page id to write the progress to
{{- if .RatioScope}}
#
# [[objectives.key_results]]   # 2: a share of an issue set done
# key = "backlog-done"
# title = "80% of the project's issues done"
# type = "ratio"
# scope = {{q .RatioScope}}
# baseline = 0
# target = 80
# unit = "%"
# match = 'source == "{{.RatioSourceDoc}}"'
{{- else}}
#
# [[objectives.key_results]]   # 2: a milestone, done when a change ships
# key = "passkeys"
# title = "Passkeys deployed to production"
# type = "milestone"
# target = 1
# match = 'kind == "change.shipped" && title contains "Passkeys"'
{{- end}}
`
