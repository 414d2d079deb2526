package report

import (
	"github.com/jomei/notionapi"

	"github.com/goalpost/goalpost/report/present"
)

// notionText is Notion's limit per rich-text item.
const notionText = 2000

// notionBlocks renders r as Notion blocks, in page order. The result
// depends only on r, so a resumed delivery appends exactly the missing tail.
func notionBlocks(r *Report) []notionapi.Block {
	var bs []notionapi.Block
	add := func(b ...notionapi.Block) { bs = append(bs, b...) }
	add(paragraph(plain(r.span()+" · "+r.generated(), false, true)...),
		paragraph(plain(summaryLine(r, ""), true, false)...),
		heading(notionapi.BlockTypeHeading2, "Narrative"))
	notes := r.notes()
	switch {
	case r.Narrative != "":
		add(paragraph(plain(r.Narrative, false, false)...))
	case len(notes) > 0:
		for _, n := range notes {
			add(bullet(append(plain(n.KR+": ", true, false), plain(n.Text, false, false)...)...))
		}
	default:
		add(quote(plain(narrativePlaceholder, false, true)...))
	}
	add(heading(notionapi.BlockTypeHeading2, "Key results"))
	if len(r.Objectives) == 0 {
		add(paragraph(plain("No key results for this team.", false, false)...))
	}
	for _, o := range r.Objectives {
		add(heading(notionapi.BlockTypeHeading3, o.label()))
		for _, k := range o.KRs {
			add(notionKR(k)...)
		}
	}
	add(heading(notionapi.BlockTypeHeading2, "Wins — reached production"))
	add(bulletItems(r.Wins, "Nothing reached production this week.")...)
	add(heading(notionapi.BlockTypeHeading2, "Shipped-to-production baseline"))
	if none := noPeople(r); none != "" {
		add(paragraph(plain(none, false, false)...))
	} else {
		add(notionGrid(r)...)
		add(paragraph(plain(gridLegend, false, true)...))
	}
	return append(bs, notionFlags(r)...)
}

// notionFlags are the two-in-a-row, silence and unmapped sections.
func notionFlags(r *Report) []notionapi.Block {
	var bs []notionapi.Block
	if r.TeamOnly {
		bs = append(bs, paragraph(plain(teamOnlyNote, false, true)...))
	} else {
		bs = append(bs, heading(notionapi.BlockTypeHeading3, "Two misses in a row"))
		bs = append(bs, bulletPeople(r.TwoInARow, "a conversation, not a judgement")...)
		bs = append(bs, heading(notionapi.BlockTypeHeading3, "Silence"))
		bs = append(bs, bulletPeople(r.Silent, "no activity at all this week")...)
	}
	bs = append(bs, heading(notionapi.BlockTypeHeading3, "Unmapped identities"))
	if len(r.Unmapped) == 0 {
		bs = append(bs, paragraph(plain("None.", false, false)...))
	}
	for _, u := range r.Unmapped {
		bs = append(bs, bullet(plain(u.Source+" "+u.Handle+" — "+present.Count(u.Events, "event")+"; add it to a person in the config", false, false)...))
	}
	return bs
}

func notionKR(k KR) []notionapi.Block {
	head := append(plain(present.StatusEmoji(k.Status)+" "+k.label(), true, false),
		plain("  ("+present.Status(k.Status)+")", false, false)...)
	out := []notionapi.Block{
		paragraph(head...),
		paragraph(append(plain(k.currentTarget(), true, false), plain(" · progress "+present.Percent(k.Progress)+" · score "+present.Number(k.Score), false, false)...)...),
	}
	moved := "no change"
	if k.Moved != nil {
		moved = k.Moved.line(k.Unit)
	}
	out = append(out, bullet(append(plain("Moved this week: ", true, false), plain(moved, false, false)...)...))
	if k.Moved != nil {
		for _, it := range k.Moved.Items {
			out = append(out, bullet(append(plain("↳ ", false, false), itemText(it)...)...))
		}
	}
	if len(k.Blockers) == 0 {
		return append(out, bullet(append(plain("Blockers: ", true, false), plain("none", false, false)...)...))
	}
	out = append(out, bullet(plain("Blockers:", true, false)...))
	for _, it := range k.Blockers {
		out = append(out, bullet(append(plain("↳ ", false, false), itemText(it)...)...))
	}
	return out
}

// notionGrid is the baseline grid as tables. A table's rows are its
// children, which Notion takes at most 100 at a time, so a team of 99 or
// more people gets several tables, each starting with the header row.
func notionGrid(r *Report) []notionapi.Block {
	header := [][]notionapi.RichText{plain("Person", true, false)}
	for _, w := range r.Baseline.Weeks {
		header = append(header, plain(w.String(), true, false))
	}
	var rows notionapi.Blocks
	for _, row := range r.Baseline.Rows {
		cells := [][]notionapi.RichText{plain(personName(Person{Person: row.Person, Name: row.Name}), false, false)}
		for _, c := range row.Cells {
			cells = append(cells, plain(cellText(c), false, false))
		}
		rows = append(rows, tableRow(cells))
	}
	team := [][]notionapi.RichText{plain("Team", true, false)}
	for _, c := range r.Baseline.Coverage {
		team = append(team, plain(coverageText(c), true, false))
	}
	rows = append(rows, tableRow(team))
	var out []notionapi.Block
	for len(rows) > 0 {
		n := min(len(rows), notionBatch-1)
		out = append(out, &notionapi.TableBlock{
			BasicBlock: basic(notionapi.BlockTypeTableBlock),
			Table: notionapi.Table{TableWidth: len(header), HasColumnHeader: true, HasRowHeader: true,
				Children: append(notionapi.Blocks{tableRow(header)}, rows[:n]...)},
		})
		rows = rows[n:]
	}
	return out
}

func tableRow(cells [][]notionapi.RichText) notionapi.Block {
	return &notionapi.TableRowBlock{BasicBlock: basic(notionapi.BlockTypeTableRowBlock), TableRow: notionapi.TableRow{Cells: cells}}
}

func bulletItems(items []Item, empty string) []notionapi.Block {
	if len(items) == 0 {
		return []notionapi.Block{paragraph(plain(empty, false, false)...)}
	}
	out := make([]notionapi.Block, 0, len(items))
	for _, it := range items {
		out = append(out, bullet(itemText(it)...))
	}
	return out
}

func bulletPeople(ps []Person, note string) []notionapi.Block {
	if len(ps) == 0 {
		return []notionapi.Block{paragraph(plain("None.", false, false)...)}
	}
	out := make([]notionapi.Block, 0, len(ps))
	for _, p := range ps {
		out = append(out, bullet(plain(personName(p)+" — "+note, false, false)...))
	}
	return out
}

// itemText is an item's title (linked when it has a safe URL) and who/when.
func itemText(it Item) []notionapi.RichText {
	out := richText(it.Title, safeURL(it.URL))
	meta := it.Who
	if !it.At.IsZero() {
		if meta != "" {
			meta += ", "
		}
		meta += day(it.At)
	}
	if meta != "" {
		out = append(out, plain(" — "+meta, false, true)...)
	}
	return out
}

func basic(t notionapi.BlockType) notionapi.BasicBlock {
	return notionapi.BasicBlock{Object: notionapi.ObjectTypeBlock, Type: t}
}

func paragraph(rt ...notionapi.RichText) notionapi.Block {
	return &notionapi.ParagraphBlock{BasicBlock: basic(notionapi.BlockTypeParagraph), Paragraph: notionapi.Paragraph{RichText: rt}}
}

func quote(rt ...notionapi.RichText) notionapi.Block {
	return &notionapi.QuoteBlock{BasicBlock: basic(notionapi.BlockTypeQuote), Quote: notionapi.Quote{RichText: rt}}
}

func bullet(rt ...notionapi.RichText) notionapi.Block {
	return &notionapi.BulletedListItemBlock{BasicBlock: basic(notionapi.BlockTypeBulletedListItem), BulletedListItem: notionapi.ListItem{RichText: rt}}
}

func heading(t notionapi.BlockType, text string) notionapi.Block {
	h := notionapi.Heading{RichText: richText(text, "")}
	if t == notionapi.BlockTypeHeading2 {
		return &notionapi.Heading2Block{BasicBlock: basic(t), Heading2: h}
	}
	return &notionapi.Heading3Block{BasicBlock: basic(t), Heading3: h}
}

// richText is text (split into items within Notion's per-item limit),
// linked to link when it is not empty.
func richText(text, link string) []notionapi.RichText {
	var out []notionapi.RichText
	for _, chunk := range splitRunes(text, notionText) {
		t := &notionapi.Text{Content: chunk}
		if link != "" {
			t.Link = &notionapi.Link{Url: link}
		}
		out = append(out, notionapi.RichText{Type: notionapi.ObjectTypeText, Text: t})
	}
	return out
}

// plain is unlinked text with optional bold or italic.
func plain(text string, bold, italic bool) []notionapi.RichText {
	out := richText(text, "")
	if bold || italic {
		for i := range out {
			out[i].Annotations = &notionapi.Annotations{Bold: bold, Italic: italic, Color: notionapi.ColorDefault}
		}
	}
	return out
}

// splitRunes cuts s into pieces of at most n UTF-16 units (Notion counts
// characters that way), never inside a character.
func splitRunes(s string, n int) []string {
	if s == "" {
		return []string{""}
	}
	var out []string
	start, size := 0, 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if size+w > n {
			out = append(out, s[start:i])
			start, size = i, 0
		}
		size += w
	}
	return append(out, s[start:])
}
