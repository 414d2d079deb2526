package rules

import (
	"slices"

	"github.com/expr-lang/expr/ast"
)

// index finds the rules an event can match from its source, kind and repo
// alone, so that Match evaluates only those. A rule whose expression
// requires source == "x" (or source in [...]), kind == "y" or repo == "z",
// read from the top-level && / || structure of its expression, is filed
// under those values; a field it does not constrain is filed under "any".
// An event looks in the 8 buckets its (source, kind, repo) can fall in; each
// rule is reachable through exactly one of them, so candidates never repeat.
type index struct {
	buckets map[[3]string][]int
}

// anyValue files a rule that does not constrain a field.
const anyValue = "\x00*"

func newIndex() *index { return &index{buckets: map[[3]string][]int{}} }

func (ix *index) add(i int, req [3]constraint) {
	keys := [][3]string{{}}
	for f, values := range req {
		if values == nil {
			values = constraint{anyValue}
		}
		var next [][3]string
		for _, k := range keys {
			for _, v := range values {
				k[f] = v
				next = append(next, k)
			}
		}
		keys = next
	}
	for _, k := range keys {
		ix.buckets[k] = append(ix.buckets[k], i)
	}
}

// candidates appends to buf the indexes of the rules an event may match, in
// rule order.
func (ix *index) candidates(source, kind, repo string, buf []int) []int {
	vals := [3]string{source, kind, repo}
	for mask := range 8 {
		var k [3]string
		for f := range 3 {
			k[f] = anyValue
			if mask&(1<<f) != 0 {
				k[f] = vals[f]
			}
		}
		buf = append(buf, ix.buckets[k]...)
	}
	slices.Sort(buf)
	return buf
}

// constraint is the set of values an expression requires of one field; nil
// means unconstrained, an empty non-nil set means the expression can never
// be true.
type constraint []string

// Indexed fields, in index key order.
const (
	fieldSource = iota
	fieldKind
	fieldRepo
)

// requires reads which sources, kinds and repos node requires.
func requires(node ast.Node) (req [3]constraint) {
	switch n := node.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and":
			l, r := requires(n.Left), requires(n.Right)
			for f := range req {
				req[f] = intersect(l[f], r[f])
			}
		case "||", "or":
			l, r := requires(n.Left), requires(n.Right)
			for f := range req {
				req[f] = union(l[f], r[f])
			}
		case "==":
			return equality(n.Left, n.Right)
		case "in":
			return membership(n.Left, n.Right)
		}
	}
	return req
}

func equality(l, r ast.Node) [3]constraint {
	if _, ok := l.(*ast.StringNode); ok {
		l, r = r, l
	}
	id, ok1 := l.(*ast.IdentifierNode)
	str, ok2 := r.(*ast.StringNode)
	if !ok1 || !ok2 {
		return [3]constraint{}
	}
	return field(id.Value, constraint{str.Value})
}

func membership(l, r ast.Node) [3]constraint {
	id, ok1 := l.(*ast.IdentifierNode)
	arr, ok2 := r.(*ast.ArrayNode)
	if !ok1 || !ok2 {
		return [3]constraint{}
	}
	values := constraint{}
	for _, n := range arr.Nodes {
		s, ok := n.(*ast.StringNode)
		if !ok {
			return [3]constraint{}
		}
		if !slices.Contains(values, s.Value) { // a rule is filed once per value
			values = append(values, s.Value)
		}
	}
	return field(id.Value, values)
}

func field(name string, values constraint) (req [3]constraint) {
	switch name {
	case "source":
		req[fieldSource] = values
	case "kind":
		req[fieldKind] = values
	case "repo":
		req[fieldRepo] = values
	}
	return req
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
