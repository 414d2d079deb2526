package present

import (
	"strings"

	"github.com/goalpost/goalpost/rules"
)

// statuses pairs each status's machine spelling (rules.Status*, what JSON,
// stored results and configs carry) with its one spelling for people.
var statuses = [...]struct{ machine, human, emoji string }{
	{rules.StatusOnTrack, "On track", "🟢"},
	{rules.StatusAtRisk, "At risk", "🟡"},
	{rules.StatusOffTrack, "Off track", "🔴"},
	{rules.StatusDone, "Done", "✅"},
	{rules.StatusStale, "Stale", "⚪"},
}

// Statuses returns the machine spellings of every status, in display order.
func Statuses() []string {
	out := make([]string, len(statuses))
	for i, s := range statuses {
		out[i] = s.machine
	}
	return out
}

// Status writes a status for people: "On track", "At risk", "Off track",
// "Done", "Stale". An unknown status is written as given.
func Status(machine string) string {
	for _, s := range statuses {
		if s.machine == machine {
			return s.human
		}
	}
	return machine
}

// StatusEmoji is a status's colour dot, for Markdown and Slack; ⚪ for
// stale and unknown statuses.
func StatusEmoji(machine string) string {
	for _, s := range statuses {
		if s.machine == machine {
			return s.emoji
		}
	}
	return "⚪"
}

// ParseStatus reads a status written by Status (or by an older goalpost:
// "at risk", "at_risk"), ignoring case; false when it names none.
func ParseStatus(text string) (string, bool) {
	t := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(text), "_", " "))
	for _, s := range statuses {
		if strings.ToLower(s.human) == t {
			return s.machine, true
		}
	}
	return "", false
}
