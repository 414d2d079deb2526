package rules

import (
	"slices"

	"github.com/expr-lang/expr/ast"
)

// index finds the rules an event can match from its source and kind alone,
// so that Match evaluates only those. A rule whose expression requires
// source == "x" (or source in [...]) and/or kind == "y" (or kind in [...]),
// read from the top-level && / || structure of its expression, is filed
// under those values; a rule that constrains neither is evaluated for every
// event. Each rule is reachable from a given (source, kind) through exactly
// one bucket, so candidates never repeat.
type index struct {
	exact    map[[2]string][]int // source and kind both constrained
	bySource map[string][]int    // only source constrained
	byKind   map[string][]int    // only kind constrained
	any      []int               // neither constrained
}

func newIndex() *index {
	return &index{exact: map[[2]string][]int{}, bySource: map[string][]int{}, byKind: map[string][]int{}}
}

func (ix *index) add(i int, sources, kinds []string) {
	switch {
	case sources != nil && kinds != nil:
		for _, s := range sources {
			for _, k := range kinds {
				ix.exact[[2]string{s, k}] = append(ix.exact[[2]string{s, k}], i)
			}
		}
	case sources != nil:
		for _, s := range sources {
			ix.bySource[s] = append(ix.bySource[s], i)
		}
	case kinds != nil:
		for _, k := range kinds {
			ix.byKind[k] = append(ix.byKind[k], i)
		}
	default:
		ix.any = append(ix.any, i)
	}
}

// candidates appends to buf the indexes of the rules an event of source and
// kind may match, in rule order.
func (ix *index) candidates(source, kind string, buf []int) []int {
	buf = append(buf, ix.exact[[2]string{source, kind}]...)
	buf = append(buf, ix.bySource[source]...)
	buf = append(buf, ix.byKind[kind]...)
	buf = append(buf, ix.any...)
	slices.Sort(buf)
	return buf
}

// constraint is the set of values an expression requires of one field; nil
// means unconstrained, an empty non-nil set means the expression can never
// be true.
type constraint []string

// requires reads which sources and kinds node requires.
func requires(node ast.Node) (sources, kinds constraint) {
	switch n := node.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and":
			ls, lk := requires(n.Left)
			rs, rk := requires(n.Right)
			return intersect(ls, rs), intersect(lk, rk)
		case "||", "or":
			ls, lk := requires(n.Left)
			rs, rk := requires(n.Right)
			return union(ls, rs), union(lk, rk)
		case "==":
			return equality(n.Left, n.Right)
		case "in":
			return membership(n.Left, n.Right)
		}
	}
	return nil, nil
}

func equality(l, r ast.Node) (sources, kinds constraint) {
	if _, ok := l.(*ast.StringNode); ok {
		l, r = r, l
	}
	id, ok1 := l.(*ast.IdentifierNode)
	str, ok2 := r.(*ast.StringNode)
	if !ok1 || !ok2 {
		return nil, nil
	}
	return field(id.Value, constraint{str.Value})
}

func membership(l, r ast.Node) (sources, kinds constraint) {
	id, ok1 := l.(*ast.IdentifierNode)
	arr, ok2 := r.(*ast.ArrayNode)
	if !ok1 || !ok2 {
		return nil, nil
	}
	values := constraint{}
	for _, n := range arr.Nodes {
		s, ok := n.(*ast.StringNode)
		if !ok {
			return nil, nil
		}
		values = append(values, s.Value)
	}
	return field(id.Value, values)
}

func field(name string, values constraint) (sources, kinds constraint) {
	switch name {
	case "source":
		return values, nil
	case "kind":
		return nil, values
	}
	return nil, nil
}

func intersect(a, b constraint) constraint {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	out := constraint{}
	for _, v := range a {
		if slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}

func union(a, b constraint) constraint {
	if a == nil || b == nil {
		return nil
	}
	out := slices.Clone(a)
	for _, v := range b {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
