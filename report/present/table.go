package present

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Width is the terminal width every table and text output fits in.
const Width = 100

// Table writes rows in aligned columns, two spaces apart, fitting in Width:
// the column Flex (a title, a reason) is truncated with "…" to make room,
// never a number.
type Table struct {
	Header []string
	Flex   int // the column that shrinks; -1 for none
	rows   [][]string
}

// Add appends a row.
func (t *Table) Add(cells ...string) { t.rows = append(t.rows, cells) }

// Write writes the header and the rows.
func (t *Table) Write(w io.Writer) error {
	widths := make([]int, len(t.Header))
	for _, r := range append([][]string{t.Header}, t.rows...) {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	total := 2 * (len(widths) - 1)
	for _, n := range widths {
		total += n
	}
	if t.Flex >= 0 && total > Width {
		widths[t.Flex] = max(utf8.RuneCountInString(t.Header[t.Flex]), widths[t.Flex]-(total-Width))
	}
	var b strings.Builder
	for _, r := range append([][]string{t.Header}, t.rows...) {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			c = Clip(c, widths[i])
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

// Clip shortens s to n runes, ending in "…" when cut, on one line.
func Clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:max(n-1, 0)]) + "…"
	}
	return s
}

// Wrap breaks a line longer than width at spaces. Continuation lines hang
// under the text after a leading "label:   " (explain's layout), else four
// spaces deeper than the line's own indent. A word longer than the line (a
// long URL) is kept whole.
func Wrap(line string, width int) string {
	r := []rune(line)
	if len(r) <= width {
		return line
	}
	indent := hangingIndent(line)
	var out []string
	for len(r) > width {
		cut := lastSpace(r, indent, width)
		if cut < 0 {
			break
		}
		out = append(out, strings.TrimRight(string(r[:cut]), " "))
		rest := strings.TrimLeft(string(r[cut:]), " ")
		r = []rune(strings.Repeat(" ", indent) + rest)
	}
	return strings.Join(append(out, string(r)), "\n")
}

// lastSpace is where to break r: the last field gap (two spaces, as
// between the fields of an evidence line) at or before width past the
// indent lead, else the last space there, else the first space after
// width; -1 for none.
func lastSpace(r []rune, lead, width int) int {
	for i := min(width, len(r)-1); i > lead+1; i-- {
		if r[i] == ' ' && r[i-1] == ' ' {
			return i
		}
	}
	for i := min(width, len(r)-1); i > lead; i-- {
		if r[i] == ' ' {
			return i
		}
	}
	for i := width + 1; i < len(r); i++ {
		if r[i] == ' ' {
			return i
		}
	}
	return -1
}

// hangingIndent is where a wrapped line's continuation starts.
func hangingIndent(line string) int {
	body := strings.TrimLeft(line, " ")
	lead := len(line) - len(body)
	if label, rest, ok := strings.Cut(body, ":"); ok && len(label) <= 12 && !strings.Contains(label, " ") && strings.HasPrefix(rest, " ") {
		n := len(rest) - len(strings.TrimLeft(rest, " "))
		return lead + utf8.RuneCountInString(label) + 1 + n
	}
	return lead + 4
}

// WrapWriter wraps every complete line written to it at Width (see Wrap)
// before passing it on; Flush writes a last line without a newline.
type WrapWriter struct {
	w       io.Writer
	pending []byte
}

// NewWrapWriter returns a WrapWriter over w.
func NewWrapWriter(w io.Writer) *WrapWriter { return &WrapWriter{w: w} }

// Write implements io.Writer.
func (ww *WrapWriter) Write(p []byte) (int, error) {
	ww.pending = append(ww.pending, p...)
	for {
		i := bytes.IndexByte(ww.pending, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(ww.pending[:i])
		ww.pending = ww.pending[i+1:]
		if _, err := io.WriteString(ww.w, Wrap(line, Width)+"\n"); err != nil {
			return len(p), err
		}
	}
}

// Flush writes what is left of an unfinished line.
func (ww *WrapWriter) Flush() error {
	if len(ww.pending) == 0 {
		return nil
	}
	_, err := io.WriteString(ww.w, Wrap(string(ww.pending), Width))
	ww.pending = nil
	return err
}
