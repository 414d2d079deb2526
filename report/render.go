package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/goalpost/goalpost/connectors/slack"
	"github.com/goalpost/goalpost/report/present"
)

// Formats Render knows.
const (
	FormatMarkdown = "md"
	FormatHTML     = "html"
	FormatJSON     = "json"
	FormatSlack    = "slack"
)

// Formats returns the formats Render accepts.
func Formats() []string { return []string{FormatMarkdown, FormatHTML, FormatJSON, FormatSlack} }

// Render writes r to w in format: "md" (Markdown for a PR, wiki or email),
// "html" (a self-contained page), "json" (the Report itself) or "slack" (a
// JSON array of Slack incoming-webhook payloads, each within Slack's block
// limits). The output depends only on r.
func Render(r *Report, format string, w io.Writer) error {
	var err error
	switch format {
	case FormatMarkdown:
		_, err = io.WriteString(w, Markdown(r))
	case FormatHTML:
		err = HTML(r, w)
	case FormatJSON:
		err = writeJSON(w, r)
	case FormatSlack:
		var msgs []slack.Message
		if msgs, err = Slack(r); err == nil {
			err = writeJSON(w, msgs)
		}
	default:
		return fmt.Errorf("unknown report format %q (want %s)", format, strings.Join(Formats(), ", "))
	}
	if err != nil {
		return fmt.Errorf("render %s: %w", format, err)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// title is the report's heading.
func (r *Report) title() string {
	if r.Team == "" {
		return "Weekly check-in — " + r.Week.String()
	}
	return "Weekly check-in — " + r.Team + " — " + r.Week.String()
}

// span describes the week's dates: "Mon 16 Nov – Sun 22 Nov 2026 (Europe/Berlin)".
func (r *Report) span() string {
	last := r.End.AddDate(0, 0, -1)
	return fmt.Sprintf("%s – %s (%s)", r.Start.Format("Mon 2 Jan"), last.Format("Mon 2 Jan 2006"), r.TimeZone)
}

// generated says when and how final the draft is.
func (r *Report) generated() string {
	s := "Drafted " + r.GeneratedAt.Format("Mon 2 Jan 2006 15:04 MST") + " by goalpost"
	if !r.Final {
		s += " · week in progress"
	}
	return s
}

// gridLegend explains the baseline cells.
const gridLegend = "Numbers are changes that reached production; ✗ no change that week, ✗✗ a second miss in a row, – silent: no activity at all, “so far”: the week is not over; no data: before the history, the person's start or after their end; away: neither a miss nor silent."

// teamOnlyNote replaces the per-person rows of a team-only report.
const teamOnlyNote = "This team shows team figures only: per-person rows, misses and silence are not listed."

// noPeople is the grid's text when it has no row to show, "" when it has.
func noPeople(r *Report) string {
	switch {
	case r.TeamOnly:
		return ""
	case len(r.Baseline.Rows) == 0:
		return "No people in this team."
	}
	return ""
}

// ownerNote is one key result's note, for the narrative.
type ownerNote struct{ KR, Text string }

// notes are the key results' notes in report order; the narrative shows
// them when the owners wrote no narrative.
func (r *Report) notes() []ownerNote {
	var out []ownerNote
	for _, o := range r.Objectives {
		for _, k := range o.KRs {
			if k.Note != "" {
				out = append(out, ownerNote{KR: k.label(), Text: k.Note})
			}
		}
	}
	return out
}

const narrativePlaceholder = "KR owners: add the story behind the numbers here — context, decisions, asks."

// currentTarget is the headline "Current X / Target Y".
func (k KR) currentTarget() string {
	return "Current " + present.Value(k.Current, k.Unit) + " / Target " + present.Value(k.Target, k.Unit)
}

// movedLine is "+4 (8 → 12)".
func (m *Move) line(unit string) string {
	return fmt.Sprintf("%s (%s → %s)", present.Delta(m.Delta), present.Value(m.From, unit), present.Value(m.To, unit))
}

func day(t time.Time) string { return t.Format("Mon 2 Jan") }

// cellText is a baseline cell in words.
func cellText(c Cell) string {
	switch c.State {
	case CellShipped:
		return strconv.Itoa(c.Shipped)
	case CellTwoInARow:
		return "0 ✗✗"
	case CellSilent:
		return "– silent"
	case CellOpen:
		return "0 so far"
	case CellNoData:
		return "no data"
	case CellAway:
		return "away"
	}
	return "0 ✗"
}

// coverageText is "3/4 (75%)".
func coverageText(c Coverage) string {
	if c.People == 0 {
		return "–"
	}
	return fmt.Sprintf("%d/%d (%s)", c.Met, c.People, present.Percent(c.Share()))
}

// personName is the name to show for a person.
func personName(p Person) string {
	if p.Name != "" {
		return p.Name
	}
	return p.Person
}

// krTitle is "KEY · Title".
func (k KR) label() string {
	if k.Title == "" {
		return k.Key
	}
	return k.Key + " · " + k.Title
}

// objectiveLabel is "KEY · Title (owner)".
func (o Objective) label() string {
	s := o.Key
	if o.Title != "" {
		s += " · " + o.Title
	}
	if o.Owner != "" {
		s += " (owner: " + o.Owner + ")"
	}
	return s
}
