package dashboard

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"

	"github.com/goalpost/goalpost/report/present"
)

// The delivery page's charts: one small inline SVG per key over the
// view's weeks (ADR 0031), drawn from the same DeliveryWeek figures the
// table and the API carry. A week without a figure leaves a gap.

// weekSeries is one line (or bar) of a week chart.
type weekSeries struct {
	name, class string
	vals        []*float64
}

// weekChart is a titled chart of series over weeks: bars for counts, lines
// for the rest; format writes a value for the axis and the tooltips.
type weekChart struct {
	title  string
	bars   bool
	format func(float64) string
	series []weekSeries
}

const (
	wcW, wcH          = 320.0, 150.0
	wcLeft, wcBottom  = 48.0, 20.0
	wcPad, wcBarShare = 6.0, 0.7
)

// DeliveryCharts are a repository's four keys by week: deploys (failed
// ones stacked on top), lead time median and p90, change failure rate and
// time to restore.
func DeliveryCharts(rd RepoDelivery) template.HTML {
	n := len(rd.Weeks)
	ok, failed, med, p90, cfr, ttr := make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n), make([]*float64, n)
	for i, w := range rd.Weeks {
		ok[i], failed[i] = num(float64(w.Deploys)), num(float64(w.FailedDeploys))
		med[i], p90[i], cfr[i], ttr[i] = w.LeadMedian, w.LeadP90, w.ChangeFailureRate, w.RestoreMedian
	}
	weeks := make([]string, n)
	for i, w := range rd.Weeks {
		weeks[i] = w.Week
	}
	dur := func(s float64) string { return present.Duration(time.Duration(s * float64(time.Second))) }
	count := func(v float64) string { return present.Number(v) }
	charts := []weekChart{
		{title: "Deploys per week", bars: true, format: count, series: []weekSeries{{"succeeded", "ok", ok}, {"failed", "failed", failed}}},
		{title: "Lead time for changes", format: dur, series: []weekSeries{{"median", "med", med}, {"p90", "p90", p90}}},
		{title: "Change failure rate", format: present.Percent, series: []weekSeries{{"rate", "cfr", cfr}}},
		{title: "Time to restore (median)", format: dur, series: []weekSeries{{"median", "ttr", ttr}}},
	}
	var b strings.Builder
	b.WriteString(`<div class="dcharts">`)
	for _, c := range charts {
		c.write(&b, weeks)
	}
	b.WriteString(`</div>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
}

func num(v float64) *float64 { return &v }

// top is the chart's highest value (bars stack their series).
func (c weekChart) top(n int) float64 {
	hi := 0.0
	for i := range n {
		sum := 0.0
		for _, s := range c.series {
			if v := s.vals[i]; v != nil {
				if c.bars {
					sum += *v
				} else {
					hi = max(hi, *v)
				}
			}
		}
		hi = max(hi, sum)
	}
	if hi == 0 {
		return 1
	}
	return hi
}

func (c weekChart) write(b *strings.Builder, weeks []string) {
	n := len(weeks)
	hi := c.top(n)
	step := (wcW - wcLeft - 2*wcPad) / float64(max(n, 1))
	x := func(i float64) float64 { return wcLeft + wcPad + step*(i+0.5) }
	y := func(v float64) float64 { return wcPad + (wcH-wcBottom-2*wcPad)*(1-v/hi) }
	fmt.Fprintf(b, `<figure><figcaption>%s</figcaption><svg class="chart week" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`,
		html.EscapeString(c.title), wcW, wcH, html.EscapeString(c.label(weeks)))
	fmt.Fprintf(b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, wcLeft, y(0), wcW-wcPad, y(0))
	for _, v := range []float64{0, hi} {
		fmt.Fprintf(b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, wcLeft-4, y(v)+4, html.EscapeString(c.format(v)))
	}
	if n > 0 {
		fmt.Fprintf(b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="start">%s</text>`, wcLeft+wcPad, wcH-4, html.EscapeString(weeks[0]))
		fmt.Fprintf(b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, wcW-wcPad, wcH-4, html.EscapeString(weeks[n-1]))
	}
	if c.bars {
		c.writeBars(b, weeks, x, y, step)
	} else {
		c.writeLines(b, weeks, x, y)
	}
	b.WriteString(`</svg>`)
	c.legend(b)
	b.WriteString(`</figure>`)
}

func (c weekChart) writeBars(b *strings.Builder, weeks []string, x, y func(float64) float64, step float64) {
	w := step * wcBarShare
	for i, wk := range weeks {
		base := 0.0
		for _, s := range c.series {
			v := s.vals[i]
			if v == nil || *v == 0 {
				continue
			}
			fmt.Fprintf(b, `<rect class="bar %s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s %s</title></rect>`,
				s.class, x(float64(i))-w/2, y(base+*v), w, y(base)-y(base+*v), html.EscapeString(wk), html.EscapeString(c.format(*v)), s.name)
			base += *v
		}
	}
}

func (c weekChart) writeLines(b *strings.Builder, weeks []string, x, y func(float64) float64) {
	for _, s := range c.series {
		var d strings.Builder
		gap := true
		for i, v := range s.vals {
			if v == nil {
				gap = true
				continue
			}
			cmd := "L"
			if gap {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, x(float64(i)), y(*v))
			gap = false
			fmt.Fprintf(b, `<circle class="pt %s" cx="%.1f" cy="%.1f" r="2.5"><title>%s: %s %s</title></circle>`,
				s.class, x(float64(i)), y(*v), html.EscapeString(weeks[i]), html.EscapeString(c.format(*v)), s.name)
		}
		if d.Len() > 0 {
			fmt.Fprintf(b, `<path class="wl %s" d="%s"/>`, s.class, strings.TrimSpace(d.String()))
		}
	}
}

func (c weekChart) legend(b *strings.Builder) {
	if len(c.series) < 2 {
		return
	}
	b.WriteString(`<p class="legend">`)
	for _, s := range c.series {
		fmt.Fprintf(b, `<span class="k %s">%s</span>`, s.class, s.name)
	}
	b.WriteString(`</p>`)
}

// label says what the chart shows, for screen readers: the last week's figures.
func (c weekChart) label(weeks []string) string {
	parts := []string{c.title + " by week"}
	if n := len(weeks); n > 0 {
		for _, s := range c.series {
			v := "none"
			if p := s.vals[n-1]; p != nil {
				v = c.format(*p)
			}
			parts = append(parts, fmt.Sprintf("%s %s in %s", s.name, v, weeks[n-1]))
		}
	}
	return strings.Join(parts, "; ")
}
