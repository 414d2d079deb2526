package rules

import (
	"fmt"
	"slices"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Why says whether r matches env and, if not, why: the source or kind the
// rule requires, the scope, or the first top-level condition (of the
// expression's && chain) that is false. It compiles the conditions on the
// fly: meant for explain, not for the hot path.
func (s *Set) Why(r *Rule, env *Env) (bool, string) {
	if r.program == nil && r.scope == nil {
		return false, "a manual key result matches no events"
	}
	if r.Sources != nil && !slices.Contains(r.Sources, env.Source) {
		return false, fmt.Sprintf("the rule requires source %v, the event is from %q", []string(r.Sources), env.Source)
	}
	if r.Kinds != nil && !slices.Contains(r.Kinds, env.Kind) {
		return false, fmt.Sprintf("the rule requires kind %v, the event is %q", []string(r.Kinds), env.Kind)
	}
	if r.Repos != nil && !slices.Contains(r.Repos, env.Repo) {
		return false, fmt.Sprintf("the rule requires repo %v, the event is in %q", []string(r.Repos), env.Repo)
	}
	ok, err := s.eval(r, env)
	switch {
	case err != nil:
		return false, fmt.Sprintf("the rule failed on this event: %v", err)
	case ok:
		return true, "the rule matches"
	}
	if r.scope != nil {
		if out, err := expr.Run(r.scope, env); err == nil && out != true {
			return false, fmt.Sprintf("the issue is outside the scope %q", r.KR.Scope)
		}
	}
	for _, cond := range conjuncts(r.KR.Match) {
		p, err := expr.Compile(cond, expr.Env(Env{}), expr.AsBool())
		if err != nil {
			continue
		}
		if out, err := expr.Run(p, env); err == nil && out != true {
			return false, fmt.Sprintf("the condition %s is false for this event", cond)
		}
	}
	return false, fmt.Sprintf("the expression %s is false for this event", r.KR.Match)
}

// conjuncts splits an expression into the conditions of its top-level &&
// chain, as source text.
func conjuncts(src string) []string {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil
	}
	var out []string
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "&&" || b.Operator == "and") {
			walk(b.Left)
			walk(b.Right)
			return
		}
		out = append(out, n.String())
	}
	walk(tree.Node)
	return out
}
