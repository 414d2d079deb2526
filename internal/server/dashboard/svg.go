package dashboard

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"

	"github.com/goalpost/goalpost/report/present"
)

// Charts are inline SVG written here (ADR 0031): no script, no library, no
// request; they print and work offline. Every number in them is formatted
// by this file; every text is escaped.

// frame maps a key result's period and values onto a w×h box.
type frame struct {
	w, h, pad    float64
	start, end   time.Time
	lo, hi       float64
	left, bottom float64
}

func newFrame(k KR, w, h, pad, left, bottom float64) frame {
	f := frame{w: w, h: h, pad: pad, start: k.PeriodStart, end: k.PeriodEnd, lo: k.Baseline, hi: k.Baseline, left: left, bottom: bottom}
	vals := []float64{k.Target, k.Current}
	for _, p := range k.History {
		vals = append(vals, p.Value)
	}
	if k.Projection != nil {
		vals = append(vals, *k.Projection)
	}
	for _, v := range vals {
		f.lo, f.hi = min(f.lo, v), max(f.hi, v)
	}
	if f.hi == f.lo {
		f.hi = f.lo + 1
	}
	return f
}

func (f frame) x(t time.Time) float64 {
	return f.left + f.pad + (f.w-f.left-2*f.pad)*pace(f.start, f.end, t)
}

func (f frame) y(v float64) float64 {
	return f.pad + (f.h-f.bottom-2*f.pad)*(1-(v-f.lo)/(f.hi-f.lo))
}

func (f frame) line(b *strings.Builder, class string, t0 time.Time, v0 float64, t1 time.Time, v1 float64) {
	fmt.Fprintf(b, `<line class="%s" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, class, f.x(t0), f.y(v0), f.x(t1), f.y(v1))
}

// path is the value over time as a step line (a value holds until the next
// snapshot), ending at the view's moment.
func (f frame) path(k KR, asOf time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "M%.1f %.1f", f.x(k.PeriodStart), f.y(k.Baseline))
	for _, p := range k.History {
		fmt.Fprintf(&b, " H%.1f V%.1f", f.x(p.At), f.y(p.Value))
	}
	fmt.Fprintf(&b, " H%.1f", f.x(asOf))
	return b.String()
}

// Sparkline is a key result's small trend: value over the period so far,
// the straight-line pace from baseline to target, and the projection.
func Sparkline(k KR, asOf time.Time) template.HTML {
	f := newFrame(k, 160, 40, 3, 0, 0)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 160 40" width="160" height="40" role="img" aria-label="%s">`,
		html.EscapeString(chartLabel(k)))
	f.line(&b, "pace", k.PeriodStart, k.Baseline, k.PeriodEnd, k.Target)
	if k.Projection != nil {
		f.line(&b, "proj", asOf, k.Current, k.PeriodEnd, *k.Projection)
	}
	fmt.Fprintf(&b, `<path class="val %s" d="%s"/>`, k.Status, f.path(k, asOf))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
}

// Chart is a key result's value over time: one point per stored snapshot,
// status changes marked, against the pace line and the target.
func Chart(k KR, changes []StatusChange, asOf time.Time) template.HTML {
	const w, h = 640.0, 260.0
	f := newFrame(k, w, h, 8, 56, 24)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`, w, h, html.EscapeString(chartLabel(k)))
	fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, f.x(k.PeriodStart), f.y(f.lo), f.x(k.PeriodEnd), f.y(f.lo))
	for _, v := range []float64{f.lo, k.Target, f.hi} {
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, f.left, f.y(v)+4, html.EscapeString(present.Value(v, k.Unit)))
	}
	for _, t := range []time.Time{k.PeriodStart, k.PeriodEnd} {
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, f.x(t), h-6, t.Format("2 Jan"))
	}
	f.line(&b, "target", k.PeriodStart, k.Target, k.PeriodEnd, k.Target)
	f.line(&b, "pace", k.PeriodStart, k.Baseline, k.PeriodEnd, k.Target)
	if k.Projection != nil {
		f.line(&b, "proj", asOf, k.Current, k.PeriodEnd, *k.Projection)
	}
	for _, c := range changes {
		fmt.Fprintf(&b, `<line class="chg" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"><title>%s → %s</title></line>`,
			f.x(c.At), f.pad, f.x(c.At), h-f.bottom-f.pad, present.Status(c.From), present.Status(c.To))
	}
	fmt.Fprintf(&b, `<path class="val %s" d="%s"/>`, k.Status, f.path(k, asOf))
	for _, p := range k.History {
		fmt.Fprintf(&b, `<circle class="pt %s" cx="%.1f" cy="%.1f" r="3.5"><title>%s: %s (%s)</title></circle>`,
			p.Status, f.x(p.At), f.y(p.Value), p.At.Format("Mon 2 Jan 15:04"), html.EscapeString(present.Value(p.Value, k.Unit)), present.Status(p.Status))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
}

func chartLabel(k KR) string {
	return fmt.Sprintf("%s: %s of %s, %d values stored, pace line from %s to %s", k.Title,
		present.Value(k.Current, k.Unit), present.Value(k.Target, k.Unit), len(k.History),
		present.Value(k.Baseline, k.Unit), present.Value(k.Target, k.Unit))
}

// ShareLine is the team's weekly baseline share (0..1) as a line.
func ShareLine(weeks []string, cov []float64) template.HTML {
	const w, h, pad = 640.0, 120.0, 10.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart share" viewBox="0 0 %.0f %.0f" role="img" aria-label="share of people who met the baseline, by week">`, w, h)
	fmt.Fprintf(&b, `<line class="target" x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f"/>`, pad, pad, w-pad, pad)
	step := (w - 2*pad) / float64(max(len(cov)-1, 1))
	var d strings.Builder
	for i, c := range cov {
		x, y := pad+step*float64(i), pad+(h-2*pad)*(1-c)
		fmt.Fprintf(&d, "%s%.1f %.1f ", map[bool]string{true: "M", false: "L"}[i == 0], x, y)
		fmt.Fprintf(&b, `<circle class="pt" cx="%.1f" cy="%.1f" r="3"><title>%s: %s</title></circle>`, x, y, html.EscapeString(weeks[i]), present.Percent(c))
	}
	fmt.Fprintf(&b, `<path class="val" d="%s"/></svg>`, strings.TrimSpace(d.String()))
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
}
