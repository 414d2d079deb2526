package linear

import (
	"fmt"
	"github.com/goalpost/goalpost/writeback/outbox"
	"strings"

	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/rules/calendar"
)

// maxBodyItems bounds the evidence and blocker lines of one update.
const maxBodyItems = 15

// UpdateBody is the Markdown of a project or initiative update: Current X /
// Target Y with progress and status, the key result, what moved this week
// with evidence links, blockers, and when and by which rule it was computed.
func UpdateBody(r outbox.Update) string {
	var b strings.Builder
	current := present.Value(r.Current, r.Unit)
	if r.NoData {
		current = "no data yet"
	}
	fmt.Fprintf(&b, "**Current %s / Target %s** · %s · %s\n\n", current, present.Value(r.Target, r.Unit), present.Percent(r.Progress), present.Status(r.Status))
	fmt.Fprintf(&b, "Key result: %s", mdEscape(r.Title))
	if r.Objective != "" {
		fmt.Fprintf(&b, " (objective: %s)", mdEscape(r.Objective))
	}
	b.WriteString("\n\n")
	start := calendar.UTC.WeekContaining(r.EvaluatedAt).Start
	var moved []outbox.Evidence
	for _, e := range r.Evidence {
		if !e.OccurredAt.Before(start) {
			moved = append(moved, e)
		}
	}
	if len(moved) == 0 {
		b.WriteString("Nothing moved this week.\n\n")
	} else {
		fmt.Fprintf(&b, "**What moved this week** (%d)\n", len(moved))
		updItems(&b, moved)
	}
	if len(r.Blocked) > 0 {
		fmt.Fprintf(&b, "**Blocked** (%d)\n", len(r.Blocked))
		updItems(&b, r.Blocked)
	}
	if total := max(r.EvidenceTotal, len(r.Evidence)); total > len(moved) {
		fmt.Fprintf(&b, "%s behind the value in all.\n\n", present.Count(total, "item"))
	}
	fmt.Fprintf(&b, "_Updated %s by goalpost · rule %s_\n", r.EvaluatedAt.UTC().Format("2006-01-02 15:04 UTC"), r.RuleVersion)
	return b.String()
}

// bodyStatus reads the status back from the first line of an UpdateBody
// ("**Current … · 30% · At risk", or "at risk" from older versions); false when the body is not one goalpost
// wrote or names no status with a health.
func bodyStatus(body string) (string, bool) {
	line := strings.TrimSpace(updFirstLine(body))
	i := strings.LastIndex(line, "·")
	if !strings.HasPrefix(line, "**Current ") || i < 0 {
		return "", false
	}
	status, ok := present.ParseStatus(line[i+len("·"):])
	if _, health := Health(status); !ok || !health {
		return "", false
	}
	return status, true
}

func updItems(b *strings.Builder, es []outbox.Evidence) {
	for i, e := range es {
		if i == maxBodyItems {
			fmt.Fprintf(b, "- … and %d more\n", len(es)-i)
			break
		}
		label := mdEscape(strings.TrimSpace(e.Unit + " " + e.Title))
		if label == "" {
			label = mdEscape(e.Kind)
		}
		if e.URL != "" && (strings.HasPrefix(e.URL, "https://") || strings.HasPrefix(e.URL, "http://")) {
			label = fmt.Sprintf("[%s](%s)", label, strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(e.URL))
		}
		b.WriteString("- " + label)
		if e.Actor != "" {
			b.WriteString(" — " + mdEscape(e.Actor))
		}
		if !e.OccurredAt.IsZero() {
			b.WriteString(", " + e.OccurredAt.UTC().Format("Jan 2"))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// escape keeps text from turning into Markdown structure.
var mdEscaper = strings.NewReplacer("\n", " ", "\r", " ", "[", `\[`, "]", `\]`, "*", `\*`, "_", `\_`, "`", "\\`", "<", `\<`)

func mdEscape(s string) string {
	s = mdEscaper.Replace(s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:199]) + "…"
	}
	return s
}
