package rules

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

// checker validates objectives and key results, collecting every error and
// warning rather than stopping at the first.
type checker struct {
	opts     compileOptions
	objKeys  map[string]int    // objective key → index
	krKeys   map[string]string // key result key → path
	errs     []error
	warnings []string
}

func (c *checker) errf(key, format string, args ...any) {
	c.errs = append(c.errs, fieldErr(key, format, args...))
}

func (c *checker) warnf(format string, args ...any) {
	c.warnings = append(c.warnings, fmt.Sprintf(format, args...))
}

func (c *checker) objective(i int, obj Objective) []*Rule {
	p := fmt.Sprintf("objectives[%d]", i)
	switch prev, dup := c.objKeys[obj.Key]; {
	case strings.TrimSpace(obj.Key) == "":
		c.errf(p+".key", "required")
	case dup:
		c.errf(p+".key", "duplicate objective key %q (also objectives[%d])", obj.Key, prev)
	default:
		c.objKeys[obj.Key] = i
	}
	loc := c.location(p, obj)
	weekStart := time.Monday
	if t, ok := c.opts.teams[obj.Team]; ok {
		weekStart, _ = calendar.ParseWeekday(t.WeekStart) // people.Directory reports a bad one
	}
	start, end, ok := c.period(p, obj, loc)
	if len(obj.KeyResults) > 5 {
		c.warnf("objective %q has %d key results (3–5 is the norm)", obj.Key, len(obj.KeyResults))
	}
	var out []*Rule
	for j, kr := range obj.KeyResults {
		r := c.keyResult(fmt.Sprintf("%s.key_results[%d]", p, j), obj, kr)
		if r == nil || !ok {
			continue
		}
		r.Start, r.End, r.Location, r.WeekStart = start, end, loc, weekStart
		norm := r.KR
		norm.DivideBy = r.DivideBy
		r.Version = version(norm, start, end)
		out = append(out, r)
	}
	return out
}

func (c *checker) location(p string, obj Objective) *time.Location {
	name := obj.TimeZone
	if t, ok := c.opts.teams[obj.Team]; ok && name == "" {
		name = t.TimeZone
	}
	if obj.Team != "" && len(c.opts.teams) > 0 {
		if _, ok := c.opts.teams[obj.Team]; !ok {
			c.errf(p+".team", "unknown team %q (define it under [[teams]])%s", obj.Team, confval.DidYouMean(obj.Team, slices.Sorted(maps.Keys(c.opts.teams))))
		}
	}
	if name == "" {
		return c.opts.loc
	}
	loc, err := people.LoadLocation(name)
	if err != nil {
		key := p + ".time_zone"
		if obj.TimeZone == "" {
			key = p + ".team"
		}
		c.errf(key, "%v", err)
		return c.opts.loc
	}
	return loc
}

func (c *checker) period(p string, obj Objective, loc *time.Location) (start, end time.Time, ok bool) {
	var span calendar.Span
	var err error
	cal := calendar.New(loc, time.Monday)
	switch {
	case obj.Period != "" && (obj.Start != "" || obj.End != ""):
		c.errf(p+".period", "give either period or start and end, not both")
		return start, end, false
	case obj.Period != "":
		if span, err = cal.Period(obj.Period); err != nil {
			c.errf(p+".period", "%v", err)
			return start, end, false
		}
	case obj.Start != "" && obj.End != "":
		if span, err = cal.Dates(obj.Start, obj.End); err != nil {
			c.errf(p+".start", "%v", err)
			return start, end, false
		}
	default:
		c.errf(p+".period", "required: a quarter such as 2026-Q4, or start and end dates")
		return start, end, false
	}
	return span.Start, span.End, true
}

func (c *checker) keyResult(p string, obj Objective, kr KeyResult) *Rule {
	before := len(c.errs)
	c.krKey(p, kr)
	r := &Rule{
		Key: kr.Key, KR: kr, ObjectiveKey: obj.Key, ObjectiveTitle: obj.Title,
		Owner: firstNonEmpty(kr.Owner, obj.Owner), Team: obj.Team, Type: kr.Type,
		Aggregate: kr.Aggregate, Field: kr.Field, DivideBy: kr.DivideBy, Path: p,
		Tolerance: DefaultTolerance,
	}
	if kr.Tolerance != nil {
		r.Tolerance = *kr.Tolerance
		if r.Tolerance <= 0 || r.Tolerance >= 0.5 {
			c.errf(p+".tolerance", "key result %q: want a share between 0 and 0.5, got %g", kr.Key, r.Tolerance)
		}
	}
	if r.DivideBy == 0 {
		r.DivideBy = 1
	} else if r.DivideBy < 0 {
		c.errf(p+".divide_by", "key result %q: must be positive", kr.Key)
	}
	c.byType(p, r)
	c.match(p, r)
	if len(c.errs) > before {
		return nil
	}
	return r
}

func (c *checker) krKey(p string, kr KeyResult) {
	switch prev, dup := c.krKeys[kr.Key]; {
	case strings.TrimSpace(kr.Key) == "":
		c.errf(p+".key", "required")
	case strings.ContainsAny(kr.Key, " \t\n"):
		c.errf(p+".key", "key result key %q must not contain spaces", kr.Key)
	case dup:
		c.errf(p+".key", "duplicate key result key %q (also %s)", kr.Key, prev)
	default:
		c.krKeys[kr.Key] = p
	}
}

var types = []string{TypeCount, TypeMilestone, TypeRatio, TypeMetric, TypeManual}

var aggregates = []string{AggMedian, AggP95, AggAvg, AggSum, AggMin, AggMax, AggLast, AggCountPerWeek, AggCountPerMonth,
	AggDeployFrequency, AggChangeFailureRate, AggTimeToRestore}

func (c *checker) byType(p string, r *Rule) {
	kr := r.KR
	switch kr.Type {
	case TypeCount, TypeRatio, TypeManual:
		c.targets(p, kr)
	case TypeMilestone:
		if (kr.Baseline != 0 || kr.Target != 0) && (kr.Baseline != 0 || kr.Target != 1) {
			c.errf(p+".target", "key result %q: a milestone goes from 0 to 1; leave baseline and target unset", kr.Key)
		}
		r.KR.Target = 1
	case TypeMetric:
		c.targets(p, kr)
		c.metric(p, r)
	default:
		c.errf(p+".type", "key result %q: unknown type %q (want %s)%s", kr.Key, kr.Type, strings.Join(types, ", "), confval.DidYouMean(kr.Type, types))
		return
	}
	if kr.Type != TypeMetric && (kr.Aggregate != "" || kr.Field != "") {
		c.errf(p+".aggregate", "key result %q: aggregate and field apply to metric key results only", kr.Key)
	}
	if kr.Type == TypeCount {
		r.Window = c.window(p, kr)
	} else if kr.Type != TypeMetric && kr.Window != "" {
		c.errf(p+".window", "key result %q: window applies to count and metric key results only", kr.Key)
	}
	if kr.Type != TypeRatio && kr.Scope != "" {
		c.errf(p+".scope", "key result %q: scope applies to ratio key results only", kr.Key)
	}
	if kr.Type != TypeManual && kr.Value != nil {
		c.errf(p+".value", "key result %q: value applies to manual key results only", kr.Key)
	}
	c.definitions(p, kr)
	c.typeWarnings(r)
}

func (c *checker) targets(p string, kr KeyResult) {
	if kr.Target == kr.Baseline {
		c.errf(p+".target", "key result %q: target equals baseline (%g); progress needs a distance to cover", kr.Key, kr.Target)
	}
}

func (c *checker) metric(p string, r *Rule) {
	kr := r.KR
	switch {
	case kr.Aggregate == "":
		c.errf(p+".aggregate", "key result %q: required for a metric (want %s)", kr.Key, strings.Join(aggregates, ", "))
	case !slices.Contains(aggregates, kr.Aggregate):
		c.errf(p+".aggregate", "key result %q: unknown aggregate %q (want %s)%s", kr.Key, kr.Aggregate, strings.Join(aggregates, ", "),
			confval.DidYouMean(kr.Aggregate, aggregates))
	case isDelivery(kr.Aggregate):
		c.delivery(p, r)
	case kr.Field == "" && kr.Aggregate != AggCountPerWeek && kr.Aggregate != AggCountPerMonth:
		c.errf(p+".field", "key result %q: the numeric field to aggregate is required (e.g. lead_time_seconds)", kr.Key)
	}
	w := c.window(p, kr)
	if w.IsPeriod() {
		switch kr.Aggregate {
		case AggCountPerWeek:
			w = calendar.Trailing(28 * 24 * time.Hour)
		case AggCountPerMonth:
			w = calendar.Trailing(30 * 24 * time.Hour)
		}
	}
	r.Window = w
}

func (c *checker) window(p string, kr KeyResult) calendar.Window {
	w, err := calendar.ParseWindow(kr.Window)
	if err != nil {
		c.errf(p+".window", "key result %q: %v%s", kr.Key, err, confval.DidYouMean(strings.ToLower(kr.Window), calendar.WindowNames))
	}
	return w
}

func (c *checker) match(p string, r *Rule) {
	kr := r.KR
	if kr.Type == TypeManual {
		if kr.Match != "" {
			c.errf(p+".match", "key result %q: a manual key result takes no match rule", kr.Key)
		}
		return
	}
	if kr.Type == TypeRatio && kr.Scope != "" {
		src, err := scopeExpr(kr.Scope)
		if err != nil {
			c.errf(p+".scope", "key result %q: %v", kr.Key, err)
			return
		}
		r.scope, _, _ = compileExpr(src)
	}
	if isDelivery(kr.Aggregate) && kr.Type == TypeMetric {
		c.deliveryMatch(p, r)
		return
	}
	if strings.TrimSpace(kr.Match) == "" {
		if r.scope == nil {
			c.errf(p+".match", "key result %q: required (an expression such as kind == %q)", kr.Key, "change.shipped")
		}
		return
	}
	prog, req, err := compileExpr(kr.Match)
	if err != nil {
		c.errs = append(c.errs, fieldErr(p+".match", "%v", exprError(kr.Key, kr.Match, err)))
		return
	}
	r.program = prog
	r.Sources, r.Kinds, r.Repos = req[fieldSource], req[fieldKind], req[fieldRepo]
	for _, values := range req {
		if values != nil && len(values) == 0 {
			c.warnf("key result %q: match %s can never be true (contradictory source, kind or repo)", kr.Key, quoteExpr(kr.Match))
			break
		}
	}
	if kr.Type == TypeRatio && r.Kinds != nil {
		c.warnf("key result %q: a ratio rule is checked against each issue's latest event; requiring a kind drops issues whose latest event is another kind", kr.Key)
	}
}

// delivery checks a four-keys key result's options.
func (c *checker) delivery(p string, r *Rule) {
	kr := r.KR
	switch {
	case kr.Aggregate == AggTimeToRestore && kr.Field == "":
		r.Field = "restore_seconds"
	case kr.Aggregate != AggTimeToRestore && kr.Field != "":
		c.errf(p+".field", "key result %q: %s reads no field", kr.Key, kr.Aggregate)
	}
	if kr.Per != "" && (kr.Aggregate != AggDeployFrequency || (kr.Per != "day" && kr.Per != "week")) {
		c.errf(p+".per", "key result %q: per applies to deploy_frequency and is day or week, got %q", kr.Key, kr.Per)
	}
	fp, err := compileFailures(kr.Failures)
	switch {
	case err != nil:
		c.errf(p+".failures", "key result %q: %v", kr.Key, err)
	case kr.Aggregate != AggChangeFailureRate && !reflect.DeepEqual(kr.Failures, Failures{}):
		c.errf(p+".failures", "key result %q: failures apply to change_failure_rate only", kr.Key)
	}
	r.failures = fp
}

// deliveryMatch compiles the user's match (its errors name their
// position there), then the expression the aggregate runs (deliveryMatch).
func (c *checker) deliveryMatch(p string, r *Rule) {
	kr := r.KR
	if strings.TrimSpace(kr.Match) != "" {
		if _, _, err := compileExpr(kr.Match); err != nil {
			c.errs = append(c.errs, fieldErr(p+".match", "%v", exprError(kr.Key, kr.Match, err)))
			return
		}
	}
	prog, req, err := compileExpr(deliveryMatch(kr.Aggregate, kr.Match, r.failures))
	if err != nil {
		c.errs = append(c.errs, fieldErr(p+".match", "%v", exprError(kr.Key, kr.Match, err)))
		return
	}
	r.program = prog
	r.Sources, r.Kinds, r.Repos = req[fieldSource], req[fieldKind], req[fieldRepo]
}

// scopeExpr turns "epic:AUTH-1", "project:AUTH", "label:auth" (or
// "tag:auth", Asana's word), "section:Doing" (an Asana section; "list:Doing"
// for a Trello list) or "board:<id>" (a Trello board) into an
// expression (the key is a quoted string literal, never spliced as code).
func scopeExpr(scope string) (string, error) {
	kind, val, ok := strings.Cut(scope, ":")
	val = strings.TrimSpace(val)
	if !ok || val == "" {
		return "", fmt.Errorf("scope %q: want epic:KEY, project:KEY, label:NAME, tag:NAME, section:NAME, board:ID or list:NAME", scope)
	}
	q := fmt.Sprintf("%q", val)
	switch strings.TrimSpace(kind) {
	case "epic":
		return fmt.Sprintf("attrs.epic == %s || attrs.parent == %s || has_link(%s)", q, q, q), nil
	case "project":
		return fmt.Sprintf("repo == %s || attrs.project == %s", q, q), nil
	case "label", "tag":
		return fmt.Sprintf("has_label(%s)", q), nil
	case "section", "list":
		return fmt.Sprintf("attrs.section == %s", q), nil
	case "board":
		return fmt.Sprintf("repo == %s", q), nil
	}
	return "", fmt.Errorf("scope %q: want epic:KEY, project:KEY, label:NAME, tag:NAME, section:NAME, board:ID or list:NAME", scope)
}

func (c *checker) typeWarnings(r *Rule) {
	kr := r.KR
	switch {
	case kr.Type != TypeRatio:
	case kr.Display == DisplayFraction && (kr.Target > 1 || kr.Baseline > 1):
		c.warnf("key result %q: display = \"fraction\" reads 0–1; target %g looks like a percentage", kr.Key, kr.Target)
	case kr.Display != DisplayFraction && kr.Target <= 1 && kr.Baseline <= 1:
		c.warnf("key result %q: ratio values are percentages (0–100); target %g looks like a fraction (or set display = \"fraction\")", kr.Key, kr.Target)
	}
	if kr.Type == TypeCount && kr.Target < kr.Baseline {
		c.warnf("key result %q: a count only goes up, so a target below the baseline is met at once; use a metric with count_per_week or count_per_month", kr.Key)
	}
}

func (c *checker) teamWarnings(objs []Objective) {
	perTeam := map[string]int{}
	for _, o := range objs {
		perTeam[o.Team]++
	}
	teams := make([]string, 0, len(perTeam))
	for t := range perTeam {
		teams = append(teams, t)
	}
	sort.Strings(teams)
	for _, t := range teams {
		if n := perTeam[t]; n > 5 {
			name := t
			if name == "" {
				name = "(no team)"
			}
			c.warnf("team %s has %d objectives (3–5 is the norm)", name, n)
		}
	}
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
