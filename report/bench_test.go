package report

import (
	"io"
	"testing"
	"time"

	"github.com/goalpost/goalpost/rules/people"
)

// BenchmarkRender renders a large report (30 KRs with 10 evidence items
// each, 20 people) in every format.
func BenchmarkRender(b *testing.B) {
	r, err := Build(b.Context(), bigSource(b, 30, 10, 20), platform, week47, reportTime, 4)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range Formats() {
		b.Run(f, func(b *testing.B) {
			for b.Loop() {
				if err := Render(r, f, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSchedulerTickIdle is the scheduler's wake-up when nothing is due
// (four teams, two destinations): one query for pending deliveries.
func BenchmarkSchedulerTickIdle(b *testing.B) {
	st := openStore(b, b.TempDir())
	clk := &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)} // Thursday
	rec := &recorder{now: clk.Now}
	s, err := NewScheduler(&Config{}, dstTeams, stubBuild(dstTeams), []Destination{{Name: "a", Sender: rec}, {Name: "b", Sender: rec}}, st, nil, clk.Now)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Tick(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuilderFrozen reads a frozen report back (what re-running
// `goalpost report` for a past week costs).
func BenchmarkBuilderFrozen(b *testing.B) {
	st := openStore(b, b.TempDir())
	bl, _ := NewBuilder(bigSource(b, 30, 10, 20), st, []people.Team{platform}, nil)
	if _, err := bl.Report(b.Context(), "platform", week47, reportTime); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := bl.Report(b.Context(), "platform", week47, reportTime); err != nil {
			b.Fatal(err)
		}
	}
}
