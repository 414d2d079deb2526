package present

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWrap(t *testing.T) {
	long := "status:    On track — pace expects 0.6 by now, progress is 0.5 (behind by 0.1; at risk when behind by more than 0.15)"
	for _, tc := range []struct {
		name, in string
		width    int
		want     string
	}{
		{name: "fits", in: "value:     5 changes", width: 40, want: "value:     5 changes"},
		{name: "label hangs", in: long, width: 60,
			want: "status:    On track — pace expects 0.6 by now, progress is\n           0.5 (behind by 0.1; at risk when behind by more\n           than 0.15)"},
		{name: "fields break at their gaps", in: "  2026-10-12 11:00 CEST  acme/api#1  \"Cache tokens\"  by alice  value 54", width: 60,
			want: "  2026-10-12 11:00 CEST  acme/api#1  \"Cache tokens\"\n      by alice  value 54"},
		{name: "a word longer than the line stays whole", in: "  see https://example.com/" + strings.Repeat("x", 50) + " now", width: 20,
			want: "  see https://example.com/" + strings.Repeat("x", 50) + "\n      now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Wrap(tc.in, tc.width); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// A table fits Width by cutting its flex column, never a number.
func TestTableFitsWidth(t *testing.T) {
	tb := Table{Header: []string{"KEY", "TITLE", "CURRENT"}, Flex: 1}
	tb.Add("perf", strings.Repeat("a very long title ", 10), "1234567")
	var b bytes.Buffer
	if err := tb.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if n := utf8.RuneCountInString(line); n > Width || !strings.Contains(b.String(), "1234567") {
			t.Errorf("%d columns: %q", n, line)
		}
	}
	if got := Count(1, "item") + ", " + Count(2, "item"); got != "1 item, 2 items" {
		t.Errorf("Count: %s", got)
	}
}
