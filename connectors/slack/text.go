package slack

import "strings"

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape escapes the three characters Slack's mrkdwn reserves.
func Escape(s string) string { return escaper.Replace(s) }

var urlEscaper = strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C", " ", "%20")

// Link is mrkdwn for a link to u labelled with already escaped text.
func Link(u, text string) string { return "<" + urlEscaper.Replace(u) + "|" + text + ">" }

// Len counts characters as UTF-16 code units, the strictest reading of
// Slack's limits.
func Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// Truncate cuts s to at most max characters (Len), ending with "…".
func Truncate(s string, max int) string {
	if Len(s) <= max {
		return s
	}
	n := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > max-1 {
			return s[:i] + "…"
		}
		n += w
	}
	return s
}
