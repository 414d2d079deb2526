package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// termWidth is the width every table fits in.
const termWidth = 100

// table writes rows in aligned columns, two spaces apart, fitting in
// termWidth: the column flex (a title) is truncated with "…" to make room,
// never a number.
type table struct {
	header []string
	rows   [][]string
	flex   int // the column that shrinks; -1 for none
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) error {
	widths := make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	total := 2 * (len(widths) - 1)
	for _, n := range widths {
		total += n
	}
	if t.flex >= 0 && total > termWidth {
		widths[t.flex] = max(utf8.RuneCountInString(t.header[t.flex]), widths[t.flex]-(total-termWidth))
	}
	var b strings.Builder
	for _, r := range append([][]string{t.header}, t.rows...) {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			c = clip(c, widths[i])
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	_, err := fmt.Fprint(w, b.String())
	return err
}

// clip shortens s to n runes, ending in "…" when cut, on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:max(n-1, 0)]) + "…"
	}
	return s
}
