package report

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/goalpost/goalpost/report/present"
)

// Slack Block Kit limits the renderer keeps to. MaxSlackMessageChars is our
// own bound on the text of one message: Slack rejects very large payloads
// (invalid_blocks) well below 50 × 3,000 characters.
const (
	MaxSlackBlocks       = 50
	MaxSlackSectionText  = 3000
	MaxSlackHeaderText   = 150
	MaxSlackContextElems = 10
	MaxSlackMessageChars = 12000
	slackListItems       = 10 // evidence items shown per list before "… and N more"
)

// SlackMessage is one incoming-webhook payload.
type SlackMessage struct {
	Text   string       `json:"text"` // notification fallback
	Blocks []SlackBlock `json:"blocks"`
}

// SlackBlock is a Block Kit layout block: header, section, context or divider.
type SlackBlock struct {
	Type     string      `json:"type"`
	Text     *SlackText  `json:"text,omitempty"`
	Elements []SlackText `json:"elements,omitempty"`
}

// SlackText is a Block Kit text object (plain_text or mrkdwn).
type SlackText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// Slack renders r as one or more Slack messages: a long report is split
// between blocks (and long sections between lines) so that every message
// keeps to Slack's limits. Messages after the first start with a context
// block saying which part they are.
func Slack(r *Report) ([]SlackMessage, error) {
	blocks := slackBlocks(r)
	msgs := packSlack(blocks, r.title())
	for i, m := range msgs {
		if err := ValidateSlack(m); err != nil {
			return nil, fmt.Errorf("message %d: %w", i+1, err)
		}
	}
	return msgs, nil
}

func slackBlocks(r *Report) []SlackBlock {
	bs := []SlackBlock{
		{Type: "header", Text: &SlackText{Type: "plain_text", Text: truncate(r.title(), MaxSlackHeaderText), Emoji: true}},
		slackContext(slackEscape(r.span() + " · " + r.generated())),
	}
	bs = append(bs, sections(summaryLine(r, "*"))...)
	narrative := "_" + slackEscape(narrativePlaceholder) + "_"
	if r.Narrative != "" {
		narrative = slackEscape(r.Narrative)
	}
	bs = append(bs, sections("*Narrative*\n"+narrative)...)
	bs = append(bs, SlackBlock{Type: "divider"})
	if len(r.Objectives) == 0 {
		bs = append(bs, sections("No key results for this team.")...)
	}
	for _, o := range r.Objectives {
		bs = append(bs, sections("*"+slackEscape(o.label())+"*")...)
		for _, k := range o.KRs {
			bs = append(bs, sections(slackKR(k))...)
		}
	}
	bs = append(bs, SlackBlock{Type: "divider"})
	bs = append(bs, sections("*Wins — reached production*\n"+slackItems(r.Wins, "Nothing reached production this week."))...)
	bs = append(bs, slackBaseline(r)...)
	bs = append(bs, sections(slackPeople("Two misses in a row", r.TwoInARow, "a conversation, not a judgement"))...)
	bs = append(bs, sections(slackPeople("Silence", r.Silent, "no activity at all this week"))...)
	bs = append(bs, sections(slackUnmapped(r.Unmapped))...)
	return bs
}

func slackKR(k KR) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s *%s*\n*%s* · %s · progress %s · score %s", slackEmoji(k.Status), slackEscape(k.label()),
		slackEscape(k.currentTarget()), present.Status(k.Status), present.Percent(k.Progress), present.Number(k.Score))
	if k.Owner != "" {
		fmt.Fprintf(&b, " · owner %s", slackEscape(k.Owner))
	}
	if k.Moved != nil {
		fmt.Fprintf(&b, "\n*Moved this week:* %s", slackEscape(k.Moved.line(k.Unit)))
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
		s := slackEscape(it.Title)
		if u := safeURL(it.URL); u != "" {
			s = "<" + slackURL(u) + "|" + s + ">"
		}
		if it.Who != "" {
			s += " — " + slackEscape(it.Who)
		}
		if !it.At.IsZero() {
			s += ", " + day(it.At)
		}
		lines = append(lines, "• "+s)
	}
	return strings.Join(lines, "\n")
}

func slackBaseline(r *Report) []SlackBlock {
	const title = "*Shipped-to-production baseline*"
	if len(r.Baseline.Rows) == 0 {
		return sections(title + "\nNo people in this team.")
	}
	rows := [][]string{{"Person"}}
	for _, w := range r.Baseline.Weeks {
		rows[0] = append(rows[0], fmt.Sprintf("W%02d", w.Num))
	}
	for _, row := range r.Baseline.Rows {
		line := []string{truncate(personName(Person{Person: row.Person, Name: row.Name}), 24)}
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
		lines[i] = slackEscape(lines[i])
	}
	// Each block is its own code block, split between rows.
	var out []SlackBlock
	for _, chunk := range chunkLines(lines, MaxSlackSectionText-slackLen(title)-8) {
		text := "```" + strings.Join(chunk, "\n") + "```"
		if len(out) == 0 {
			text = title + "\n" + text
		}
		out = append(out, section(text))
	}
	legend := gridLegend
	return append(out, slackContext(slackEscape(legend)))
}

func slackPeople(heading string, ps []Person, note string) string {
	if len(ps) == 0 {
		return "*" + heading + ":* none"
	}
	var lines []string
	for _, p := range ps {
		lines = append(lines, "• "+slackEscape(personName(p))+" — "+note)
	}
	return "*" + heading + "*\n" + strings.Join(lines, "\n")
}

func slackUnmapped(us []Unmapped) string {
	if len(us) == 0 {
		return "*Unmapped identities:* none"
	}
	lines := []string{"*Unmapped identities*"}
	for _, u := range us {
		lines = append(lines, fmt.Sprintf("• %s `%s` — %s", slackEscape(u.Source), slackEscape(strings.ReplaceAll(u.Handle, "`", "'")), present.Count(u.Events, "event")))
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

func section(text string) SlackBlock {
	return SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: text}}
}

func slackContext(text string) SlackBlock {
	return SlackBlock{Type: "context", Elements: []SlackText{{Type: "mrkdwn", Text: truncate(text, MaxSlackSectionText)}}}
}

// sections splits text between lines into sections of at most
// MaxSlackSectionText characters; a single longer line is truncated.
func sections(text string) []SlackBlock {
	var out []SlackBlock
	for _, chunk := range chunkLines(strings.Split(text, "\n"), MaxSlackSectionText) {
		out = append(out, section(strings.Join(chunk, "\n")))
	}
	return out
}

// chunkLines groups lines so that each group joined by "\n" has at most max
// characters; a line longer than max is truncated to fit.
func chunkLines(lines []string, max int) [][]string {
	var out [][]string
	var cur []string
	size := 0
	for _, l := range lines {
		l = truncate(l, max)
		n := slackLen(l)
		if len(cur) > 0 && size+1+n > max {
			out = append(out, cur)
			cur, size = nil, 0
		}
		if len(cur) > 0 {
			size++
		}
		cur, size = append(cur, l), size+n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// packSlack fills messages with blocks in order, within the block and
// character budgets; every message after the first starts with a context
// block naming the part.
func packSlack(blocks []SlackBlock, title string) []SlackMessage {
	var groups [][]SlackBlock
	var cur []SlackBlock
	chars := 0
	for _, b := range blocks {
		n := blockLen(b)
		room := MaxSlackBlocks
		if len(groups) > 0 {
			room-- // the continuation context block
		}
		if len(cur) > 0 && (len(cur)+1 > room || chars+n > MaxSlackMessageChars-200) {
			groups = append(groups, cur)
			cur, chars = nil, 0
		}
		cur, chars = append(cur, b), chars+n
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	msgs := make([]SlackMessage, len(groups))
	for i, g := range groups {
		text := title
		if len(groups) > 1 {
			text = fmt.Sprintf("%s (%d/%d)", title, i+1, len(groups))
		}
		if i > 0 {
			g = append([]SlackBlock{slackContext(slackEscape(fmt.Sprintf("%s — continued, part %d of %d", title, i+1, len(groups))))}, g...)
		}
		msgs[i] = SlackMessage{Text: text, Blocks: g}
	}
	return msgs
}

var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string { return slackEscaper.Replace(s) }

var slackURLEscaper = strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C", " ", "%20")

func slackURL(u string) string { return slackURLEscaper.Replace(u) }

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
