package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// deliveryConfig holds the four keys and a shipped count over acme/api.
const deliveryConfig = `
[[objectives]]
key = "ship"
period = "2026-Q4"

[[objectives.key_results]]
key = "lead"
type = "metric"
aggregate = "median"
field = "lead_time_seconds"
divide_by = 60
baseline = 120
target = 30
match = 'kind == "change.shipped" && repo == "acme/api"'

[[objectives.key_results]]
key = "shipped"
type = "count"
target = 10
match = 'kind == "change.shipped" && repo == "acme/api"'

[[objectives.key_results]]
key = "df"
type = "metric"
aggregate = "deploy_frequency"
per = "week"
window = "28d"
baseline = 1
target = 10
match = 'repo == "acme/api" && environment == "production"'

[[objectives.key_results]]
key = "cfr"
type = "metric"
aggregate = "change_failure_rate"
baseline = 50
target = 10
match = 'repo == "acme/api"'
[objectives.key_results.failures]
sources = ["failed_deploy", "incident"]
window = "24h"

[[objectives.key_results]]
key = "ttr"
type = "metric"
aggregate = "time_to_restore"
divide_by = 60
baseline = 60
target = 15
`

var q4 = time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)

// host describes how one source spells the same facts.
type host struct {
	name     string
	source   string // of merge and shipped events
	deploys  string // of deploy events
	unit     func(n int) string
	deployID func(key, state string) string
}

var hosts = []host{
	{"github", event.SourceGitHub, event.SourceGitHub, func(n int) string { return fmt.Sprintf("acme/api#%d", n) },
		func(k, s string) string { return "github:deploy:acme/api:" + k + ":" + s }},
	{"gitlab", event.SourceGitLab, event.SourceGitLab, func(n int) string { return fmt.Sprintf("acme/api!%d", n) },
		func(k, s string) string { return "gitlab:deploy:acme/api:" + k + ":" + s }},
	{"deploy document", event.SourceGitHub, event.SourceDeploy, func(n int) string { return fmt.Sprintf("acme/api#%d", n) },
		func(k, s string) string { return "deploy:acme/api:production:" + k + ":" + s }},
}

// history is one delivery story as h's connector publishes it: three
// changes merged, a deploy shipping two, a failed deploy, a deploy shipping
// the third followed by an incident on the service, resolved in 30 min,
// and an incident on another service.
func (h host) history() []event.Event {
	at := func(hours float64) time.Time { return q4.Add(time.Duration(hours * float64(time.Hour))) }
	shipped := func(n int, merged, deployed float64, deploy string) event.Event {
		return event.Event{ID: h.source + ":shipped:" + h.unit(n), Source: h.source, Kind: event.KindChangeShipped,
			OccurredAt: at(deployed), Repo: "acme/api", Unit: h.unit(n), Environment: "production", ActorHandle: "alice",
			Numbers: map[string]float64{"lead_time_seconds": (deployed - merged) * 3600}, Attrs: map[string]string{"deploy": deploy}}
	}
	dep := func(key string, hours float64, ok bool, shipped int) event.Event {
		kind, state := event.KindDeploymentFailed, "failed"
		if ok {
			kind, state = event.KindDeploymentSucceeded, "succeeded"
		}
		return event.Event{ID: h.deployID(key, state), Source: h.deploys, Kind: kind, OccurredAt: at(hours), Repo: "acme/api",
			Environment: "production", Unit: "acme/api:deploy:" + key, Numbers: map[string]float64{"shipped_count": float64(shipped)}}
	}
	incident := func(id, service, repos string, opened, resolved float64) []event.Event {
		attrs := map[string]string{"service": service, "repos": repos}
		unit := "pagerduty:incident:" + id
		return []event.Event{
			{ID: unit + ":opened", Source: event.SourcePagerDuty, Kind: event.KindIncidentOpened, OccurredAt: at(opened),
				Repo: repos, Unit: unit, Attrs: attrs},
			{ID: unit + ":resolved", Source: event.SourcePagerDuty, Kind: event.KindIncidentResolved, OccurredAt: at(resolved),
				Repo: repos, Unit: unit, Attrs: attrs, Numbers: map[string]float64{"restore_seconds": (resolved - opened) * 3600}},
		}
	}
	evs := []event.Event{
		dep("1", 10, true, 2), shipped(1, 2, 10, "1"), shipped(2, 4, 10, "1"),
		dep("2", 30, false, 0),
		dep("3", 50, true, 1), shipped(3, 45, 50, "3"),
	}
	evs = append(evs, incident("P1", "checkout", "acme/api", 52, 52.5)...)
	return append(evs, incident("P2", "search", "acme/search", 60, 61)...)
}

// TestFourKeysSameWhateverTheHost: the same rules give the same key-result
// values whether the deploys came from GitHub, GitLab or deploy documents.
func TestFourKeysSameWhateverTheHost(t *testing.T) {
	now := q4.Add(7 * 24 * time.Hour)
	want := map[string]float64{
		"lead": 360, "shipped": 3, "df": 0.5, // 2 successful deploys in 4 weeks
		"cfr": 66.6667, // the failed deploy and deploy 3 (incident 2h later) of 3 deploys
		"ttr": 45,      // median of 30 and 60 minutes
	}
	for _, hst := range hosts {
		t.Run(hst.name, func(t *testing.T) {
			h := newHarness(t, decodeConfig(t, []byte(deliveryConfig)), now)
			if err := h.eng.Handle(t.Context(), hst.history()); err != nil {
				t.Fatal(err)
			}
			for key, v := range want {
				res := h.result(t, key)
				if res.Current != v || res.NoData {
					t.Errorf("%s = %v (%s), want %v", key, res.Current, res.Formula, v)
				}
			}
			cfr := h.result(t, "cfr")
			if cfr.EvidenceTotal != 3 || len(cfr.Evidence) != 3 || *cfr.Evidence[0].Value != 1 {
				t.Fatalf("cfr evidence %+v", cfr.Evidence)
			}
			if got := cfr.Evidence[0].Title; got == "" || !strings.Contains(got, "incident") {
				t.Fatalf("the newest deploy's evidence does not name the incident: %q", got)
			}
		})
	}
}
