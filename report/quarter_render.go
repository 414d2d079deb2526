package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/rules"
)

// QuarterFormats are the formats RenderQuarter accepts.
func QuarterFormats() []string { return []string{FormatMarkdown, FormatJSON} }

// RenderQuarter writes r to w as Markdown ("md", also what a terminal
// gets) or as its JSON ("json"). The output depends only on r.
func RenderQuarter(r *QuarterReport, format string, w io.Writer) error {
	var err error
	switch format {
	case FormatMarkdown:
		_, err = io.WriteString(w, QuarterMarkdown(r))
	case FormatJSON:
		err = writeJSON(w, r)
	default:
		return fmt.Errorf("unknown quarter report format %q (want %s)", format, strings.Join(QuarterFormats(), " or "))
	}
	if err != nil {
		return fmt.Errorf("render quarter %s: %w", format, err)
	}
	return nil
}

// gradeRule says how grades and scores are computed (ADR 42).
var gradeRule = fmt.Sprintf("Grades: hit at progress ≥ %s, partial at ≥ %s, else missed. Score = progress rounded to one decimal; "+
	"an objective's progress is the mean of its key results', the team's the mean of its objectives'.",
	present.Number(rules.GradeHitAt), present.Number(rules.GradePartialAt))

// QuarterMarkdown renders r as Markdown: the team's score and grades, then
// one table per objective.
func QuarterMarkdown(r *QuarterReport) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	title := "Quarter grades — " + r.Quarter.String()
	if r.Team != "" {
		title = "Quarter grades — " + r.Team + " — " + r.Quarter.String()
	}
	p("# %s\n\n", mdEscape(title))
	last := r.End.AddDate(0, 0, -1)
	p("%s – %s (%s)", r.Start.Format("Mon 2 Jan"), last.Format("Mon 2 Jan 2006"), mdEscape(r.TimeZone))
	if r.Final {
		p(" · final, as of %s; frozen: later events do not change it\n\n", r.GeneratedAt.Format("Mon 2 Jan 2006 15:04 MST"))
		p("**Score %s** · %s: %d hit · %d partial · %d missed\n\n", present.Number(r.Score),
			present.Count(r.Grades.KRs, "key result"), r.Grades.Hit, r.Grades.Partial, r.Grades.Missed)
	} else {
		p(" · drafted %s\n\n", r.GeneratedAt.Format("Mon 2 Jan 2006 15:04 MST"))
		p("> **Provisional:** the quarter is not over. Values so far, no grades until it ends; the final report is frozen then.\n\n")
		p("**Score so far %s** · %s\n\n", present.Number(r.Score), present.Count(r.Grades.KRs, "key result"))
	}
	p("%s\n\n", gradeRule)
	if len(r.Objectives) == 0 {
		p("No key results end in this quarter.\n")
	}
	for _, o := range r.Objectives {
		mdQuarterObjective(&b, o, r.Final)
	}
	return b.String()
}

func mdQuarterObjective(b *strings.Builder, o QuarterObjective, final bool) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	label := Objective{Key: o.Key, Title: o.Title, Owner: o.Owner}.label()
	p("## %s\n\n", mdEscape(label))
	p("Score **%s** · %s\n\n", present.Number(o.Score), gradeText(o.Grade, final))
	p("| Key result | Current / Target | Progress | Score | Grade |\n| --- | --- | ---: | ---: | --- |\n")
	for _, k := range o.KRs {
		value := present.Value(k.Current, k.Unit) + " / " + present.Value(k.Target, k.Unit)
		if k.NoData {
			value = "no data / " + present.Value(k.Target, k.Unit)
		}
		p("| %s | %s | %s | %s | %s |\n", mdEscape(KR{Key: k.Key, Title: k.Title}.label()), mdEscape(value),
			present.Percent(k.Progress), present.Number(k.Score), gradeText(k.Grade, final))
	}
	p("\n")
}

// gradeText is the grade, or that there is none yet.
func gradeText(grade string, final bool) string {
	if !final {
		return "not graded yet"
	}
	return grade
}
