package rules

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/pipeline/event"
)

// Known is what the rest of the configuration knows, for Lint: the sources
// configured, the number names mapped from custom fields, and the people.
type Known struct {
	Sources      []string // configured sources (event.Source*); none: no connector checks
	NumberFields []string // numbers mapped from custom fields (Jira number_fields)
	// People are the [[people]] keys; none: no owner or actor checks.
	People []string
	// HasHandle reports whether some person has handle on some source.
	HasHandle func(handle string) bool
	// Labels are the labels seen in stored events; nil: no label checks
	// (no store, or one with no event yet).
	Labels []string
}

// Lint finds in objs what can only ever produce 0 without being an error: match
// rules naming a kind, attribute or number no configured source produces,
// owners and actors who are not people, handles nobody has, labels no
// stored event carries (has_label, label_matches, "x" in labels, a ratio's
// scope = "label:x"). Each finding
// is a *confval.FieldError keyed to the key result's setting, with a "did
// you mean" for a near miss.
func Lint(objs []Objective, k Known) []error {
	var out []error
	seen := map[string]bool{}
	add := func(key, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if !seen[key+msg] {
			seen[key+msg] = true
			out = append(out, confval.Fieldf(key, "%s", msg))
		}
	}
	cat := catalogOf(k.Sources)
	for i, obj := range objs {
		for j, kr := range obj.KeyResults {
			r := &Rule{Key: kr.Key, KR: kr, Owner: firstNonEmpty(kr.Owner, obj.Owner),
				Path: fmt.Sprintf("objectives[%d].key_results[%d]", i, j)}
			refs := references(kr.Match)
			if len(k.Sources) > 0 {
				lintVocabulary(r, refs, cat, k, add)
			}
			if len(k.People) > 0 {
				lintPeople(r, refs, k, add)
			}
			if k.Labels != nil {
				lintLabels(r, refs, k.Labels, add)
			}
		}
	}
	return out
}

type vocabulary struct {
	kinds, attrs, numbers []string
	openNumbers           bool
}

func catalogOf(sources []string) vocabulary {
	var v vocabulary
	for _, s := range sources {
		c := event.CatalogOf(s)
		v.kinds, v.attrs, v.numbers = append(v.kinds, c.Kinds...), append(v.attrs, c.Attrs...), append(v.numbers, c.Numbers...)
		v.openNumbers = v.openNumbers || c.OpenNumbers
	}
	return v
}

// allSources are the sources goalpost has connectors for, for suggestions.
var allSources = []string{event.SourceGitHub, event.SourceGitLab, event.SourceDeploy, event.SourceJira, event.SourceLinear,
	event.SourceAsana, event.SourceTrello, event.SourcePagerDuty, event.SourceIncidentIO}

func lintVocabulary(r *Rule, refs refs, v vocabulary, k Known, add func(key, format string, args ...any)) {
	all := catalogOf(allSources)
	for _, kind := range refs.kinds {
		if !slices.Contains(v.kinds, kind) {
			add(r.Path+".match", "key result %q: no configured connector produces kind %q%s", r.Key, kind, hint(kind, v.kinds, all.kinds))
		}
	}
	for _, a := range refs.attrs {
		if !slices.Contains(v.attrs, a) {
			add(r.Path+".match", "key result %q: no configured connector sets attribute %q%s", r.Key, a, hint(a, v.attrs, all.attrs))
		}
	}
	numbers := append(slices.Clone(v.numbers), k.NumberFields...)
	check := func(key, n string) {
		if !v.openNumbers && !slices.Contains(numbers, n) {
			add(key, "key result %q: no configured connector sets number %q%s", r.Key, n, hint(n, numbers, all.numbers))
		}
	}
	for _, n := range refs.numbers {
		check(r.Path+".match", n)
	}
	if r.KR.Field != "" {
		check(r.Path+".field", r.KR.Field)
	}
}

// hint suggests the nearest configured name, else the nearest name another
// connector would produce.
func hint(name string, configured, all []string) string {
	if s := confval.DidYouMean(name, configured); s != "" {
		return s
	}
	if slices.Contains(all, name) {
		return " (another connector does: configure it)"
	}
	return confval.DidYouMean(name, all)
}

func lintPeople(r *Rule, refs refs, k Known, add func(key, format string, args ...any)) {
	if r.Owner != "" && !slices.Contains(k.People, r.Owner) {
		key := strings.TrimSuffix(r.Path, r.Path[strings.LastIndex(r.Path, ".key_results["):]) + ".owner"
		if r.KR.Owner != "" {
			key = r.Path + ".owner"
		}
		add(key, "owner %q is not a person (a [[people]] key)%s", r.Owner, confval.DidYouMean(r.Owner, k.People))
	}
	for _, a := range refs.actors {
		if !slices.Contains(k.People, a) {
			add(r.Path+".match", "key result %q: actor %q is not a person (a [[people]] key)%s", r.Key, a, confval.DidYouMean(a, k.People))
		}
	}
	for _, h := range refs.handles {
		if k.HasHandle != nil && !k.HasHandle(h) {
			add(r.Path+".match", "key result %q: handle %q belongs to no person (add it to [[people]])", r.Key, h)
		}
	}
}

// lintLabels warns on each label r names that no stored event carries
// (compared as has_label does, ignoring case; a glob as label_matches does).
func lintLabels(r *Rule, refs refs, seen []string, add func(key, format string, args ...any)) {
	unseen := func(l string) bool {
		return !slices.ContainsFunc(seen, func(s string) bool { return strings.EqualFold(s, l) })
	}
	for _, l := range refs.labels {
		if unseen(l) {
			add(r.Path+".match", "key result %q: label %q is on no stored event%s", r.Key, l, confval.DidYouMean(l, seen))
		}
	}
	if l, ok := scopeLabel(r.KR.Scope); ok && unseen(l) {
		add(r.Path+".scope", "key result %q: label %q is on no stored event%s", r.Key, l, confval.DidYouMean(l, seen))
	}
	for _, g := range refs.globs {
		if !slices.ContainsFunc(seen, func(s string) bool { ok, _ := path.Match(strings.ToLower(g), strings.ToLower(s)); return ok }) {
			add(r.Path+".match", "key result %q: label_matches(%q) matches no label on a stored event", r.Key, g)
		}
	}
}

// scopeLabel is the label of a "label:x" or "tag:x" scope.
func scopeLabel(scope string) (string, bool) {
	kind, name, ok := strings.Cut(scope, ":")
	return name, ok && name != "" && (kind == "label" || kind == "tag")
}

// refs are the names a match expression compares with or reads.
type refs struct {
	kinds, attrs, numbers, actors, handles []string
	labels, globs                          []string // has_label, "x" in labels; label_matches
}

// references reads what src names: kinds, actors and handles it compares
// with (==, !=, in), attributes and numbers it reads (attrs.x, attr("x"),
// numbers.x, num("x"), has_num("x")).
func references(src string) refs {
	var r refs
	tree, err := parser.Parse(src)
	if err != nil || strings.TrimSpace(src) == "" {
		return r
	}
	ast.Walk(&tree.Node, &r)
	return r
}

// Visit implements ast.Visitor.
func (r *refs) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		if n.Operator == "==" || n.Operator == "!=" || n.Operator == "in" {
			r.compare(n.Left, n.Right)
			r.compare(n.Right, n.Left)
		}
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		prop, isStr := n.Property.(*ast.StringNode)
		if ok && isStr && id.Value == "attrs" {
			r.attrs = appendNew(r.attrs, prop.Value)
		} else if ok && isStr && id.Value == "numbers" {
			r.numbers = appendNew(r.numbers, prop.Value)
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || len(n.Arguments) != 1 {
			return
		}
		arg, ok := n.Arguments[0].(*ast.StringNode)
		if !ok {
			return
		}
		switch id.Value {
		case "attr":
			r.attrs = appendNew(r.attrs, arg.Value)
		case "num", "has_num":
			r.numbers = appendNew(r.numbers, arg.Value)
		case "has_label":
			r.labels = appendNew(r.labels, arg.Value)
		case "label_matches":
			r.globs = appendNew(r.globs, arg.Value)
		}
	}
}

func (r *refs) compare(field, value ast.Node) {
	id, ok := field.(*ast.IdentifierNode)
	if !ok {
		return
	}
	var dst *[]string
	switch id.Value {
	case "kind":
		dst = &r.kinds
	case "actor":
		dst = &r.actors
	case "handle":
		dst = &r.handles
	case "labels":
		dst = &r.labels
	default:
		return
	}
	switch v := value.(type) {
	case *ast.StringNode:
		*dst = appendNew(*dst, v.Value)
	case *ast.ArrayNode:
		for _, e := range v.Nodes {
			if s, ok := e.(*ast.StringNode); ok {
				*dst = appendNew(*dst, s.Value)
			}
		}
	}
}

func appendNew(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}
