package confval

import "strings"

// Suggest returns the choice closest to s when it is close enough to be a
// typo (at most a third of its letters off, or a prefix), else "".
func Suggest(s string, choices []string) string {
	best, bestD := "", max(1, len(s)/3)+1
	for _, c := range choices {
		if c == s {
			return ""
		}
		d := EditDistance(s, c)
		if len(s) >= 2 && strings.HasPrefix(c, s) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// DidYouMean is "; did you mean \"x\"?" for the choice Suggest finds, or "".
func DidYouMean(s string, choices []string) string {
	if c := Suggest(s, choices); c != "" {
		return "; did you mean \"" + c + "\"?"
	}
	return ""
}

// EditDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of two neighbours ("hepl"
// for "help") each count one.
func EditDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
