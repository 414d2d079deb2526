package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

// Rule is one compiled key result: its config, its period, its match
// expression compiled once, and the version that evidence records.
type Rule struct {
	Key            string
	KR             KeyResult
	ObjectiveKey   string
	ObjectiveTitle string
	Owner          string
	Team           string
	Type           string
	Aggregate      string
	Field          string
	DivideBy       float64
	Window         calendar.Window // the zero Window: the period so far
	Tolerance      float64
	Start, End     time.Time // the period, [Start, End)
	Location       *time.Location
	WeekStart      time.Weekday // the team's week start; Monday by default
	// Version is a short hash of everything that decides which events count
	// and how (type, match, scope, aggregate, field, divide_by, window,
	// period): evidence records it, so a changed rule is visible.
	Version string
	// Sources, Kinds and Repos are what the expression requires (nil: any).
	Sources, Kinds, Repos []string
	// Path is the rule's config key, "objectives[i].key_results[j]".
	Path string

	index    int
	failures failurePolicy // change_failure_rate only
	program  *vm.Program   // nil for manual key results
	scope    *vm.Program   // ratio scope, nil when unset
}

// Match is one rule an event matched.
type Match struct {
	Rule *Rule
	// Value is the rule's numeric field read from the event (already divided
	// by DivideBy); nil when the rule has no field or the event lacks it.
	Value *float64
}

// Set is the compiled rule set. It is safe for concurrent use.
type Set struct {
	rules    []*Rule
	byKey    map[string]*Rule
	idx      *index // count, milestone and metric rules
	issueIdx *index // ratio rules: asked only for events that carry issue state
	warnings []string
	vms      sync.Pool
}

// Option configures Compile.
type Option func(*compileOptions)

type compileOptions struct {
	teams map[string]people.Team
	loc   *time.Location
}

// WithTeams gives the teams, whose time zones place the periods of their
// objectives; an objective naming a team not in a non-empty list is an error.
func WithTeams(teams []people.Team) Option {
	return func(o *compileOptions) {
		for _, t := range teams {
			o.teams[t.Name] = t
		}
	}
}

// WithDefaultLocation sets the time zone of objectives that name none and
// whose team has none (default UTC).
func WithDefaultLocation(loc *time.Location) Option {
	return func(o *compileOptions) { o.loc = loc }
}

// Compile checks and compiles every key result. Errors are joined
// *confval.FieldErrors keyed "objectives[i].key_results[j].<field>" whose
// message names the key result, the expression and the position; warnings
// (too many objectives or key results, likely mistakes) come back through
// Set.Warnings. Compile does no I/O besides reading time zone data.
func Compile(objs []Objective, opts ...Option) (*Set, error) {
	o := compileOptions{teams: map[string]people.Team{}, loc: time.UTC}
	for _, opt := range opts {
		opt(&o)
	}
	c := checker{opts: o, objKeys: map[string]int{}, krKeys: map[string]string{}}
	set := &Set{byKey: map[string]*Rule{}, idx: newIndex(), issueIdx: newIndex()}
	for i, obj := range objs {
		for _, r := range c.objective(i, obj) {
			r.index = len(set.rules)
			set.rules = append(set.rules, r)
			set.byKey[r.Key] = r
			ix := set.idx
			if r.Type == TypeRatio {
				ix = set.issueIdx
			}
			ix.add(r.index, [3]constraint{r.Sources, r.Kinds, r.Repos})
		}
	}
	c.teamWarnings(objs)
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	set.warnings = c.warnings
	return set, nil
}

// Rules returns the rules in config order.
func (s *Set) Rules() []*Rule { return s.rules }

// Rule returns the rule for a key result key.
func (s *Set) Rule(key string) (*Rule, bool) {
	r, ok := s.byKey[key]
	return r, ok
}

// Warnings are the non-fatal findings of Compile, e.g. more than five
// objectives for a team.
func (s *Set) Warnings() []string { return s.warnings }

// Candidates reports how many rules an event of source, kind and repo is
// evaluated against (the rest are skipped by the index); issue says whether
// the event carries issue state (ratio rules are asked only then).
func (s *Set) Candidates(source, kind, repo string, issue bool) int {
	n := len(s.idx.candidates(source, kind, repo, nil))
	if issue {
		n += len(s.issueIdx.candidates(source, kind, repo, nil))
	}
	return n
}

// IsIssueState reports whether ev carries an issue's full current state (a
// unit and a status category): only such events move ratio key results.
func IsIssueState(ev *event.Event) bool { return ev.IsIssueState() }

// Match returns the rules ev matches, in config order (ratio rules only for
// events that carry issue state). ev.Actor should hold
// the person key and team the actor's team. A rule whose expression fails
// at run time does not match; onErr (may be nil) hears about it.
func (s *Set) Match(ev *event.Event, team string, onErr func(*Rule, error)) []Match {
	var buf [16]int
	cands := s.idx.candidates(ev.Source, ev.Kind, ev.Repo, buf[:0])
	if IsIssueState(ev) {
		cands = s.issueIdx.candidates(ev.Source, ev.Kind, ev.Repo, cands)
	}
	if len(cands) == 0 {
		return nil
	}
	env := NewEnv(ev, team)
	var out []Match
	for _, i := range cands {
		r := s.rules[i]
		ok, err := s.eval(r, env)
		if err != nil {
			if onErr != nil {
				onErr(r, err)
			}
			continue
		}
		if ok {
			out = append(out, Match{Rule: r, Value: r.value(ev)})
		}
	}
	return out
}

// Eval reports whether the rule's expression (and scope) holds for env.
func (s *Set) Eval(r *Rule, env *Env) (bool, error) { return s.eval(r, env) }

func (s *Set) eval(r *Rule, env *Env) (bool, error) {
	if r.program == nil && r.scope == nil {
		return false, nil
	}
	v, _ := s.vms.Get().(*vm.VM)
	if v == nil {
		v = &vm.VM{}
	}
	defer s.vms.Put(v)
	for _, p := range []*vm.Program{r.scope, r.program} {
		if p == nil {
			continue
		}
		out, err := v.Run(p, env)
		if err != nil {
			return false, fmt.Errorf("key result %q: %w", r.Key, err)
		}
		if b, _ := out.(bool); !b {
			return false, nil
		}
	}
	return true, nil
}

func (r *Rule) value(ev *event.Event) *float64 {
	if r.Field == "" {
		return nil
	}
	v, ok := ev.Numbers[r.Field]
	if !ok {
		return nil
	}
	v /= r.DivideBy
	return &v
}

// compileExpr compiles a match expression against Env, returning the
// program and the sources, kinds and repos it requires.
func compileExpr(src string) (*vm.Program, [3]constraint, error) {
	p, err := expr.Compile(src, expr.Env(Env{}), expr.AsBool())
	if err != nil {
		return nil, [3]constraint{}, err
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, [3]constraint{}, err
	}
	return p, requires(tree.Node), nil
}

// exprError formats an expression error with the key result, the
// expression and the position.
func exprError(krKey, src string, err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		pos := "column " + strconv.Itoa(fe.Column+1)
		if slices.Contains([]byte(src), '\n') {
			pos = fmt.Sprintf("line %d, column %d", fe.Line, fe.Column+1)
		}
		if fe.Snippet == "" {
			pos = "column 1"
		}
		return fmt.Errorf("key result %q: match %s: %s (%s)", krKey, quoteExpr(src), fe.Message, pos)
	}
	return fmt.Errorf("key result %q: match %s: %w", krKey, quoteExpr(src), err)
}

// quoteExpr shows an expression as written, in backquotes when it has none.
func quoteExpr(src string) string {
	if strings.ContainsAny(src, "`\n") {
		return strconv.Quote(src)
	}
	return "`" + src + "`"
}

// version hashes what decides which events count and how.
func version(kr KeyResult, start, end time.Time) string {
	h := sha256.New()
	parts := []string{kr.Type, kr.Match, kr.Scope, kr.Aggregate, kr.Field,
		strconv.FormatFloat(kr.DivideBy, 'g', -1, 64), kr.Window,
		start.Format(time.RFC3339), end.Format(time.RFC3339)}
	if f := kr.Failures; kr.Per != "" || !reflect.DeepEqual(f, Failures{}) {
		// Added with the four keys: absent, the version of every other rule stays as it was.
		parts = append(parts, kr.Per, strings.Join(f.Sources, ","), f.Window, strings.Join(f.RevertLabels, ","), f.RevertTitle)
	}
	if kr.Canceled != "" && kr.Canceled != CanceledExcluded {
		parts = append(parts, "canceled="+kr.Canceled) // the default keeps every version as it was
	}
	if kr.WindowOn == WindowOnCreated {
		parts = append(parts, "window_on="+kr.WindowOn)
	}
	if kr.Display == DisplayFraction {
		parts = append(parts, "display="+kr.Display)
	}
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:8]
}

func fieldErr(key, format string, args ...any) error { return confval.Fieldf(key, format, args...) }
