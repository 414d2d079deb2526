package report

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/goalpost/goalpost/report/present"
)

// Markdown renders r as CommonMark/GitHub-flavoured Markdown, suitable for
// pasting into a pull request, a wiki page or an email.
func Markdown(r *Report) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# %s\n\n", mdEscape(r.title()))
	p("%s · %s\n\n", mdEscape(r.span()), mdEscape(r.generated()))
	p("%s\n\n", summaryLine(r, "**"))
	p("## Narrative\n\n")
	if r.Narrative != "" {
		p("%s\n\n", r.Narrative) // written by people, in Markdown already
	} else if notes := r.notes(); len(notes) > 0 {
		for _, n := range notes {
			p("- **%s**: %s\n", mdEscape(n.KR), mdEscape(n.Text))
		}
		p("\n")
	} else {
		p("> _%s_\n\n", mdEscape(narrativePlaceholder))
	}
	p("## Key results\n\n")
	if len(r.Objectives) == 0 {
		p("No key results for this team.\n\n")
	}
	for _, o := range r.Objectives {
		p("### %s\n\n", mdEscape(o.label()))
		for _, k := range o.KRs {
			mdKR(&b, k)
		}
	}
	p("## Wins — reached production\n\n")
	mdItems(&b, r.Wins, "", "Nothing reached production this week.")
	b.WriteString("\n")
	mdBaseline(&b, r)
	return b.String()
}

func mdKR(b *strings.Builder, k KR) {
	fmt.Fprintf(b, "#### %s %s\n\n", present.StatusEmoji(k.Status), mdEscape(k.label()))
	fmt.Fprintf(b, "**%s** · %s · progress %s · score %s", mdEscape(k.currentTarget()),
		present.Status(k.Status), present.Percent(k.Progress), present.Number(k.Score))
	if k.Owner != "" {
		fmt.Fprintf(b, " · owner %s", mdEscape(k.Owner))
	}
	b.WriteString("\n\n")
	if k.Moved != nil {
		fmt.Fprintf(b, "- **Moved this week:** %s\n", mdEscape(k.Moved.line(k.Unit)))
		mdItems(b, k.Moved.Items, "  ", "")
	} else {
		b.WriteString("- **Moved this week:** no change\n")
	}
	if len(k.Blockers) == 0 {
		b.WriteString("- **Blockers:** none\n")
	} else {
		b.WriteString("- **Blockers:**\n")
		mdItems(b, k.Blockers, "  ", "")
	}
	b.WriteString("\n")
}

func mdItems(b *strings.Builder, items []Item, indent, empty string) {
	if len(items) == 0 && empty != "" {
		fmt.Fprintf(b, "%s%s\n", indent, empty)
	}
	for _, it := range items {
		fmt.Fprintf(b, "%s- %s\n", indent, mdItem(it))
	}
}

func mdItem(it Item) string {
	s := mdEscape(it.Title)
	if u := safeURL(it.URL); u != "" {
		s = "[" + s + "](" + mdURL(u) + ")"
	}
	var meta []string
	if it.Who != "" {
		meta = append(meta, mdEscape(it.Who))
	}
	if !it.At.IsZero() {
		meta = append(meta, day(it.At))
	}
	if len(meta) > 0 {
		s += " — " + strings.Join(meta, ", ")
	}
	return s
}

func mdBaseline(b *strings.Builder, r *Report) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("## Shipped-to-production baseline\n\n")
	if none := noPeople(r); none != "" {
		p("%s\n\n", none)
	} else {
		p("| Person |")
		for _, w := range r.Baseline.Weeks {
			p(" %s |", w)
		}
		p("\n| --- |%s\n", strings.Repeat(" ---: |", len(r.Baseline.Weeks)))
		for _, row := range r.Baseline.Rows {
			p("| %s |", mdEscape(personName(Person{Person: row.Person, Name: row.Name})))
			for _, c := range row.Cells {
				p(" %s |", cellText(c))
			}
			p("\n")
		}
		p("| **Team** |")
		for _, c := range r.Baseline.Coverage {
			p(" %s |", coverageText(c))
		}
		p("\n\n%s\n\n", gridLegend)
	}
	if r.TeamOnly {
		p("%s\n\n", teamOnlyNote)
	} else {
		mdPeople(b, "Two misses in a row", r.TwoInARow, "a conversation, not a judgement")
		mdPeople(b, "Silence", r.Silent, "no activity at all this week")
	}
	p("### Unmapped identities\n\n")
	if len(r.Unmapped) == 0 {
		p("None.\n")
		return
	}
	for _, u := range r.Unmapped {
		p("- %s `%s` — %s; add it to a person in the config\n", mdEscape(u.Source), strings.ReplaceAll(u.Handle, "`", "'"), present.Count(u.Events, "event"))
	}
}

func mdPeople(b *strings.Builder, heading string, ps []Person, note string) {
	fmt.Fprintf(b, "### %s\n\n", heading)
	if len(ps) == 0 {
		b.WriteString("None.\n\n")
		return
	}
	for _, p := range ps {
		fmt.Fprintf(b, "- %s — %s\n", mdEscape(personName(p)), note)
	}
	b.WriteString("\n")
}

// summaryLine is the one-line overview; strong wraps emphasis ("**" or "*").
func summaryLine(r *Report, strong string) string {
	s := r.Summary
	return fmt.Sprintf("%s%s:%s %d on track · %d at risk · %d off track · %d done · %d stale — %s%s reached production%s — baseline met by %s",
		strong, present.Count(s.KRs, "key result"), strong, s.OnTrack, s.AtRisk, s.OffTrack, s.Done, s.Stale,
		strong, present.Count(s.Shipped, "change"), strong, coverageText(Coverage{Met: s.Met, People: s.People}))
}

var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "|", `\|`,
)

// mdEscape makes text safe inside Markdown (also inside table cells).
func mdEscape(s string) string { return mdEscaper.Replace(s) }

var mdURLEscaper = strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E")

func mdURL(u string) string { return mdURLEscaper.Replace(u) }

// safeURL returns u when it is an absolute http(s) URL, else "".
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return u
}
