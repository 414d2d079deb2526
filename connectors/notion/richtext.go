package notion

import (
	"fmt"
	"github.com/goalpost/goalpost/writeback/outbox"
	"math"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jomei/notionapi"

	"github.com/goalpost/goalpost/report/present"
)

// Notion's rich-text limits (400 validation_error beyond them).
const (
	maxTextLen   = 2000 // characters per text object, and per link URL
	maxRichItems = 100  // objects per rich-text array
	maxTitleLen  = 120  // our own cap on one evidence title, for readability
)

// richBuilder accumulates a rich-text array within Notion's limits.
type richBuilder struct {
	items []notionapi.RichText
	full  bool // no room left for more items
}

// reserve is kept free for a closing "… and N more".
const reserve = 2

// add appends text (split into ≤2,000-character objects), linked to link
// when link is a usable URL. It reports false when the array is full.
func (b *richBuilder) add(text, link string, bold bool) bool {
	for _, chunk := range chunks(text, maxTextLen) {
		if len(b.items) >= maxRichItems-reserve {
			b.full = true
			return false
		}
		rt := notionapi.RichText{Type: "text", Text: &notionapi.Text{Content: chunk}}
		if okURL(link) {
			rt.Text.Link = &notionapi.Link{Url: link}
		}
		if bold {
			rt.Annotations = &notionapi.Annotations{Bold: true, Color: "default"}
		}
		b.items = append(b.items, rt)
	}
	return true
}

// tail appends closing text in the reserved room.
func (b *richBuilder) tail(text string) {
	for _, chunk := range chunks(text, maxTextLen) {
		if len(b.items) < maxRichItems {
			b.items = append(b.items, notionapi.RichText{Type: "text", Text: &notionapi.Text{Content: chunk}})
		}
	}
}

// chunks splits s into pieces of at most n characters (runes).
func chunks(s string, n int) []string {
	if s == "" {
		return nil
	}
	var out []string
	for utf8.RuneCountInString(s) > n {
		i := 0
		for j := range s {
			if i == n {
				out = append(out, s[:j])
				s = s[j:]
				break
			}
			i++
		}
	}
	return append(out, s)
}

func okURL(link string) bool {
	if link == "" || len(link) > maxTextLen {
		return false
	}
	u, err := url.Parse(link)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// truncate shortens s to n characters, ending with "…".
func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// evidenceLabel is the text shown for one item.
func evidenceLabel(e outbox.Evidence) string {
	label := e.Title
	if e.Unit != "" && !strings.Contains(label, e.Unit) {
		if label == "" {
			label = e.Unit
		} else {
			label = e.Unit + " " + label
		}
	}
	if label == "" {
		label = e.Kind
	}
	return truncate(label, maxTitleLen)
}

// addItems appends up to limit evidence links separated by " · ", then
// "… and N more" for the rest of total (also when the array fills up first).
func (b *richBuilder) addItems(items []outbox.Evidence, total, limit int) {
	shown := 0
	for i, e := range items {
		if shown == limit {
			break
		}
		sep := ""
		if i > 0 {
			sep = " · "
		}
		if (sep != "" && !b.add(sep, "", false)) || !b.add(evidenceLabel(e), e.URL, false) {
			break
		}
		shown++
	}
	if rest := max(total, len(items)) - shown; rest > 0 {
		b.tail(fmt.Sprintf(" … and %d more", rest))
	}
}

// evidenceText is the Evidence property: "N items: a · b · … and M more",
// N being all the items behind the value (the result may carry only the
// most recent of them).
func evidenceText(r outbox.Update, limit int) []notionapi.RichText {
	b := &richBuilder{}
	total := max(r.EvidenceTotal, len(r.Evidence))
	switch {
	case r.NoData:
		b.add("No data yet.", "", false)
	case total > 0:
		b.add(present.Count(total, "item")+": ", "", false)
		b.addItems(r.Evidence, total, limit)
	default:
		return []notionapi.RichText{}
	}
	return b.items
}

// number returns v for a number property, or null (which clears it) when
// there is no data or v is not finite (Notion has no NaN): an empty cell,
// never a made-up zero.
func number(v float64, noData bool) any {
	if noData || math.IsNaN(v) || math.IsInf(v, 0) {
		return map[string]any{"number": nil}
	}
	return map[string]any{"number": v}
}

func utc(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
