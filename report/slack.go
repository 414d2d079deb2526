package report

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/goalpost/goalpost/connectors/slack"
	"github.com/goalpost/goalpost/report/present"
)

// slackListItems is how many evidence items a list shows before "… and N
// more".
const slackListItems = 10

// Slack renders r as one or more Slack messages: a long report is split
// between blocks (and long sections between lines) so that every message
// keeps to Slack's limits. Messages after the first start with a context
// block saying which part they are.
func Slack(r *Report) ([]slack.Message, error) {
	msgs := slack.Pack(slackBlocks(r), r.title())
	for i, m := range msgs {
		if err := slack.Validate(m); err != nil {
			return nil, fmt.Errorf("message %d: %w", i+1, err)
		}
	}
	return msgs, nil
}

func slackBlocks(r *Report) []slack.Block {
	bs := []slack.Block{
		slack.Header(r.title()),
		slack.Context(slack.Escape(r.span() + " · " + r.generated())),
	}
	bs = append(bs, slack.Sections(summaryLine(r, "*"))...)
	narrative := "_" + slack.Escape(narrativePlaceholder) + "_"
	if r.Narrative != "" {
		narrative = slack.Escape(r.Narrative)
	} else if notes := r.notes(); len(notes) > 0 {
		var lines []string
		for _, n := range notes {
			lines = append(lines, "• *"+slack.Escape(n.KR)+"*: "+slack.Escape(n.Text))
		}
		narrative = strings.Join(lines, "\n")
	}
	bs = append(bs, slack.Sections("*Narrative*\n"+narrative)...)
	bs = append(bs, slack.Divider())
	if len(r.Objectives) == 0 {
		bs = append(bs, slack.Sections("No key results for this team.")...)
	}
	for _, o := range r.Objectives {
		bs = append(bs, slack.Sections("*"+slack.Escape(o.label())+"*")...)
		for _, k := range o.KRs {
			bs = append(bs, slack.Sections(slackKR(k))...)
		}
	}
	bs = append(bs, slack.Divider())
	bs = append(bs, slack.Sections("*Wins — reached production*\n"+slackItems(r.Wins, "Nothing reached production this week."))...)
	bs = append(bs, slackBaseline(r)...)
	if r.TeamOnly {
		bs = append(bs, slack.Context(slack.Escape(teamOnlyNote)))
	} else {
		bs = append(bs, slack.Sections(slackPeople("Two misses in a row", r.TwoInARow, "a conversation, not a judgement"))...)
		bs = append(bs, slack.Sections(slackPeople("Silence", r.Silent, "no activity at all this week"))...)
	}
	bs = append(bs, slack.Sections(slackUnmapped(r.Unmapped))...)
	return bs
}

func slackKR(k KR) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s *%s*\n*%s* · %s · progress %s · score %s", slackEmoji(k.Status), slack.Escape(k.label()),
		slack.Escape(k.currentTarget()), present.Status(k.Status), present.Percent(k.Progress), present.Number(k.Score))
	if k.Owner != "" {
		fmt.Fprintf(&b, " · owner %s", slack.Escape(k.Owner))
	}
	if k.Moved != nil {
		fmt.Fprintf(&b, "\n*Moved this week:* %s", slack.Escape(k.Moved.line(k.Unit)))
		if len(k.Moved.Items) > 0 {
			b.WriteString("\n" + slackItems(k.Moved.Items, ""))
		}
	} else {
		b.WriteString("\n*Moved this week:* no change")
	}
	if len(k.Blockers) == 0 {
		b.WriteString("\n*Blockers:* none")
	} else {
		b.WriteString("\n*Blockers:*\n" + slackItems(k.Blockers, ""))
	}
	return b.String()
}

func slackItems(items []Item, empty string) string {
	if len(items) == 0 {
		return empty
	}
	var lines []string
	for i, it := range items {
		if i == slackListItems {
			lines = append(lines, fmt.Sprintf("… and %d more (see the full report)", len(items)-i))
			break
		}
		s := slack.Escape(it.Title)
		if u := safeURL(it.URL); u != "" {
			s = slack.Link(u, s)
		}
		if it.Who != "" {
			s += " — " + slack.Escape(it.Who)
		}
		if !it.At.IsZero() {
			s += ", " + day(it.At)
		}
		lines = append(lines, "• "+s)
	}
	return strings.Join(lines, "\n")
}

func slackBaseline(r *Report) []slack.Block {
	const title = "*Shipped-to-production baseline*"
	if none := noPeople(r); none != "" {
		return slack.Sections(title + "\n" + none)
	}
	rows := [][]string{{"Person"}}
	for _, w := range r.Baseline.Weeks {
		rows[0] = append(rows[0], fmt.Sprintf("W%02d", w.Num))
	}
	for _, row := range r.Baseline.Rows {
		line := []string{slack.Truncate(personName(Person{Person: row.Person, Name: row.Name}), 24)}
		for _, c := range row.Cells {
			line = append(line, cellText(c))
		}
		rows = append(rows, line)
	}
	team := []string{"Team"}
	for _, c := range r.Baseline.Coverage {
		team = append(team, fmt.Sprintf("%d/%d", c.Met, c.People))
	}
	rows = append(rows, team)
	lines := alignColumns(rows)
	for i := range lines {
		lines[i] = slack.Escape(lines[i])
	}
	// Each block is its own code block, split between rows.
	var out []slack.Block
	for _, chunk := range slack.ChunkLines(lines, slack.MaxSectionText-slack.Len(title)-8) {
		text := "```" + strings.Join(chunk, "\n") + "```"
		if len(out) == 0 {
			text = title + "\n" + text
		}
		out = append(out, slack.Section(text))
	}
	legend := gridLegend
	return append(out, slack.Context(slack.Escape(legend)))
}

func slackPeople(heading string, ps []Person, note string) string {
	if len(ps) == 0 {
		return "*" + heading + ":* none"
	}
	var lines []string
	for _, p := range ps {
		lines = append(lines, "• "+slack.Escape(personName(p))+" — "+note)
	}
	return "*" + heading + "*\n" + strings.Join(lines, "\n")
}

func slackUnmapped(us []Unmapped) string {
	if len(us) == 0 {
		return "*Unmapped identities:* none"
	}
	lines := []string{"*Unmapped identities*"}
	for _, u := range us {
		lines = append(lines, fmt.Sprintf("• %s `%s` — %s", slack.Escape(u.Source), slack.Escape(strings.ReplaceAll(u.Handle, "`", "'")), present.Count(u.Events, "event")))
	}
	return strings.Join(lines, "\n")
}

func slackEmoji(status string) string {
	switch status {
	case "on_track":
		return ":large_green_circle:"
	case "at_risk":
		return ":large_yellow_circle:"
	case "off_track":
		return ":red_circle:"
	case "done":
		return ":white_check_mark:"
	}
	return ":white_circle:"
}

// alignColumns pads a table into monospace lines.
func alignColumns(rows [][]string) []string {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	lines := make([]string, len(rows))
	for j, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		lines[j] = strings.TrimRight(b.String(), " ")
	}
	return lines
}
