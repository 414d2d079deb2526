package rules

import (
	"math"
	"slices"
)

// listMax is how many values a formula lists before "… n more".
const listMax = 12

// Sample is what a metric aggregate reads of its values: their number, the
// values at the sorted positions it needs (the smallest listMax, for the
// formula, and those SampleRanks names), the oldest listMax, the newest,
// and their sum in oldest-first order. The engine fills it from its
// incremental state without reading every value; SampleOf fills it from all
// of them. Both give the same Result.
type Sample struct {
	N      int
	Sorted map[int]float64 // sorted position (0 = smallest) → value
	Oldest []float64       // the first SampleListed(N) values, oldest first
	Last   float64
	Sum    float64
}

// SampleAggregate reports whether agg can be computed from a Sample (else
// the engine passes every value in Inputs.Values).
func SampleAggregate(agg string) bool {
	switch agg {
	case AggMedian, AggP95, AggMin, AggMax, AggLast:
		return true
	}
	return false
}

// SampleRanks are the sorted positions agg reads of n values, besides the
// smallest listMax the formula lists.
func SampleRanks(agg string, n int) []int {
	if n == 0 {
		return nil
	}
	switch agg {
	case AggMedian:
		if n%2 == 1 {
			return []int{n / 2}
		}
		return []int{n/2 - 1, n / 2}
	case AggP95:
		return []int{p95Rank(n) - 1}
	case AggMin:
		return []int{0}
	case AggMax:
		return []int{n - 1}
	}
	return nil
}

func p95Rank(n int) int { return int(math.Ceil(0.95 * float64(n))) }

// SampleOf is the Sample of values (oldest first).
func SampleOf(values []float64) Sample {
	s := Sample{N: len(values), Sorted: map[int]float64{}}
	if s.N == 0 {
		return s
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	for i, v := range sorted {
		s.Sorted[i] = v
	}
	s.Oldest = values[:SampleListed(len(values))]
	s.Last = values[len(values)-1]
	for _, v := range values {
		s.Sum += v
	}
	return s
}

// smallest is the first SampleListed(N) sorted values.
func (s Sample) smallest() []float64 {
	out := make([]float64, 0, SampleListed(s.N))
	for i := range SampleListed(s.N) {
		out = append(out, s.Sorted[i])
	}
	return out
}

// SampleListed is how many of the smallest of n values a Sample holds for
// the formula.
func SampleListed(n int) int { return min(n, listMax) }
