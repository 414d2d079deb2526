package rules

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules/calendar"
)

// The four keys (DORA's delivery metrics) as metric aggregates. Each
// implies the kinds it reads, so a key result's match only scopes them
// (match = 'repo == "acme/api"'); lead time is the median (or p95) of
// change.shipped's lead_time_seconds and needs no aggregate of its own.
const (
	// AggDeployFrequency is successful production deploys per day or week
	// (Per) over the window.
	AggDeployFrequency = "deploy_frequency"
	// AggChangeFailureRate is the percentage of production deploys
	// followed by a failure (see Failures).
	AggChangeFailureRate = "change_failure_rate"
	// AggTimeToRestore is the median restore_seconds of resolved incidents.
	AggTimeToRestore = "time_to_restore"
)

// Failure sources: what makes a deploy count as failed.
const (
	// FailedDeploy: a failed production deploy is a deploy and a failure.
	// Off, failed deploys are left out of the rate altogether.
	FailedDeploy = "failed_deploy"
	// FailureIncident: an incident opened on a service mapped to the
	// deploy's repository ([incidents.services]) within failure_window
	// after it fails the latest successful deploy before the incident.
	FailureIncident = "incident"
	// FailureRevert: a merged pull request labelled revert_labels or titled
	// like revert_title fails the latest successful deploy of its
	// repository before the merge, within failure_window.
	FailureRevert = "revert"
)

// Defaults of a change_failure_rate key result.
const (
	DefaultFailureWindow = 24 * time.Hour
	DefaultRevertTitle   = `(?i)^(revert|hotfix)\b`
)

// DefaultRevertLabels are the labels that mark a revert or hotfix.
var DefaultRevertLabels = []string{"revert", "hotfix"}

// Failures is a change_failure_rate key result's [….failures] table: what
// counts as a failed change, each source a named option.
type Failures struct {
	// Sources are failed_deploy, incident and revert (default
	// ["failed_deploy"]).
	Sources []string `toml:"sources"`
	// Window bounds how long after a deploy an incident or revert still
	// fails it (default 24h).
	Window string `toml:"window"`
	// RevertLabels and RevertTitle (a regular expression) say which merged
	// pull requests are reverts or hotfixes (default labels revert, hotfix;
	// title starting with Revert or Hotfix).
	RevertLabels []string `toml:"revert_labels"`
	RevertTitle  string   `toml:"revert_title"`
}

// failurePolicy is Failures checked and compiled.
type failurePolicy struct {
	deploys, incidents, reverts bool
	window                      time.Duration
	labels                      []string
	title                       *regexp.Regexp
}

func compileFailures(f Failures) (failurePolicy, error) {
	p := failurePolicy{window: DefaultFailureWindow, labels: f.RevertLabels}
	sources := f.Sources
	if len(sources) == 0 {
		sources = []string{FailedDeploy}
	}
	for _, s := range sources {
		switch s {
		case FailedDeploy:
			p.deploys = true
		case FailureIncident:
			p.incidents = true
		case FailureRevert:
			p.reverts = true
		default:
			return p, fmt.Errorf("unknown failure source %q (want %s, %s or %s)", s, FailedDeploy, FailureIncident, FailureRevert)
		}
	}
	if f.Window != "" {
		w, err := calendar.ParseWindow(f.Window)
		if err != nil || w.Kind != calendar.WindowTrailing {
			return p, fmt.Errorf("failures.window %q: want a duration such as 24h or 7d", f.Window)
		}
		p.window = w.Trailing
	}
	if len(p.labels) == 0 {
		p.labels = DefaultRevertLabels
	}
	re, err := regexp.Compile(firstNonEmpty(f.RevertTitle, DefaultRevertTitle))
	if err != nil {
		return p, fmt.Errorf("failures.revert_title: %v", err)
	}
	p.title = re
	return p, nil
}

// deliveryMatch is the match expression a four-keys key result runs: the
// kinds its aggregate reads, scoped by the user's match. Incidents and
// reverts are matched unscoped: the rate joins them to the scoped deploys
// by repository.
func deliveryMatch(agg, user string, p failurePolicy) string {
	scoped := func(kinds string) string {
		if strings.TrimSpace(user) == "" {
			return "(kind in [" + kinds + "])"
		}
		return "(kind in [" + kinds + "] && (" + user + "))"
	}
	switch agg {
	case AggDeployFrequency:
		return scoped(`"deployment.succeeded"`)
	case AggTimeToRestore:
		return scoped(`"incident.resolved"`)
	}
	parts := []string{scoped(`"deployment.succeeded", "deployment.failed"`)}
	if p.incidents {
		parts = append(parts, `kind == "incident.opened"`)
	}
	if p.reverts {
		parts = append(parts, `kind == "pull_request.merged"`)
	}
	return strings.Join(parts, " || ")
}

func isDelivery(agg string) bool {
	return agg == AggDeployFrequency || agg == AggChangeFailureRate || agg == AggTimeToRestore
}

// perSpan is deploy_frequency: count deploys over a window of length w,
// per day or per week.
func perSpan(count int, w time.Duration, per string) (float64, string) {
	unit := 24 * time.Hour
	if per != "day" {
		per, unit = "week", 7*24*time.Hour
	}
	spans := float64(w) / float64(unit)
	if spans <= 0 {
		return 0, "deploy_frequency: empty window"
	}
	v := float64(count) / spans
	return v, fmt.Sprintf("deploy_frequency = %d successful production deploys in %s / %s %ss = %s per %s",
		count, days(w), num(round(spans, 4)), per, num(round(v, 4)), per)
}

// Rate is a change failure rate and what it used.
type Rate struct {
	Value    float64 // percent
	Formula  string
	Deploys  int
	Failed   int
	Evidence []Evidence // one per deploy, newest first: Value 1 failed, 0 not
}

// ChangeFailureRate computes the rate from a key result's matched events
// (any order): the share of deploys that failed, by the rule's failure
// sources. NoData (Deploys == 0) is for the caller to report.
func (r *Rule) ChangeFailureRate(evs []event.Event) Rate {
	p := r.failures
	var deploys []*deployRow
	var signals []event.Event
	for _, ev := range evs {
		switch {
		case ev.Kind == event.KindDeploymentSucceeded, ev.Kind == event.KindDeploymentFailed && p.deploys:
			d := &deployRow{ev: ev}
			if ev.Kind == event.KindDeploymentFailed {
				d.source, d.why = FailedDeploy, "the deploy failed"
			}
			deploys = append(deploys, d)
		case ev.Kind == event.KindIncidentOpened && p.incidents, ev.Kind == event.KindPullRequestMerged && p.reverts && p.isRevert(ev):
			signals = append(signals, ev)
		}
	}
	slices.SortFunc(deploys, func(a, b *deployRow) int { return a.ev.OccurredAt.Compare(b.ev.OccurredAt) })
	for _, s := range signals {
		if d := p.blame(deploys, s); d != nil && d.source == "" {
			d.source, d.why = FailureRevert, describeSignal(s, d.ev.OccurredAt)
			if s.Kind == event.KindIncidentOpened {
				d.source = FailureIncident
			}
		}
	}
	return r.rate(deploys)
}

type deployRow struct {
	ev     event.Event
	source string // the failure source that failed it; "" when none did
	why    string
}

func (p failurePolicy) isRevert(ev event.Event) bool {
	for _, l := range ev.Labels {
		if slices.ContainsFunc(p.labels, func(x string) bool { return strings.EqualFold(x, l) }) {
			return true
		}
	}
	return p.title.MatchString(ev.Title)
}

// blame is the latest successful deploy of one of the signal's
// repositories at or before it, within the failure window.
func (p failurePolicy) blame(deploys []*deployRow, s event.Event) *deployRow {
	repos := []string{s.Repo}
	if r := s.Attrs["repos"]; r != "" {
		repos = strings.Split(r, ",")
	}
	for i := len(deploys) - 1; i >= 0; i-- {
		d := deploys[i]
		if d.ev.OccurredAt.After(s.OccurredAt) || d.ev.Kind != event.KindDeploymentSucceeded {
			continue
		}
		if s.OccurredAt.Sub(d.ev.OccurredAt) > p.window {
			return nil
		}
		if slices.ContainsFunc(repos, func(r string) bool { return r != "" && strings.EqualFold(r, d.ev.Repo) }) {
			return d
		}
	}
	return nil
}

func describeSignal(s event.Event, deployed time.Time) string {
	what := "revert " + s.Title
	if s.Kind == event.KindIncidentOpened {
		what = "incident " + firstNonEmpty(s.Attrs["ref"], s.Unit) + " on " + firstNonEmpty(s.Attrs["service"], "its service")
	}
	return fmt.Sprintf("%s %s later", what, s.OccurredAt.Sub(deployed).Round(time.Minute))
}

func (r *Rule) rate(deploys []*deployRow) Rate {
	out := Rate{Deploys: len(deploys)}
	bySource := map[string]int{}
	for _, d := range slices.Backward(deploys) {
		v := 0.0
		title := firstNonEmpty(d.ev.Title, d.ev.ID)
		if d.source != "" {
			v = 1
			out.Failed++
			title += " — failed: " + d.why
			bySource[d.source]++
		}
		out.Evidence = append(out.Evidence, Evidence{EventID: d.ev.ID, Unit: d.ev.Unit, Kind: d.ev.Kind, Title: title,
			URL: d.ev.URL, Actor: firstNonEmpty(d.ev.Actor, d.ev.ActorHandle), OccurredAt: d.ev.OccurredAt, Value: &v, RuleVersion: r.Version})
	}
	if out.Deploys == 0 {
		out.Formula = "change_failure_rate: no production deploys in the window"
		return out
	}
	out.Value = 100 * float64(out.Failed) / float64(out.Deploys)
	var why []string
	for _, k := range slices.Sorted(maps.Keys(bySource)) {
		why = append(why, fmt.Sprintf("%s: %d", k, bySource[k]))
	}
	out.Formula = fmt.Sprintf("change_failure_rate = 100 × %d failed / %s = %s%%", out.Failed, plural(out.Deploys, "deploy"), num(round(out.Value, 4)))
	if len(why) > 0 {
		out.Formula += " (" + strings.Join(why, ", ") + ")"
	}
	return out
}
