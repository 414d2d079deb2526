package report

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules/calendar"
)

var (
	q4 = calendar.Quarter{Year: 2026, Num: 4}
	// q4Over is the Monday after 2026-Q4 ended (midnight, Berlin).
	q4Over = time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)
)

// quarterFixture is testdata/quarter over a real engine and store whose
// clock the test moves, and a builder over them.
type quarterFixture struct {
	eng *engine.Engine
	st  *store.Store
	b   *Builder
	now *time.Time
}

func newQuarterFixture(t *testing.T, now time.Time) *quarterFixture {
	t.Helper()
	cfg, dir, set := loadFixture(t, "quarter")
	f := &quarterFixture{st: openStore(t, t.TempDir()), now: &now}
	f.eng = engine.New(set, dir, f.st, engine.WithClock(func() time.Time { return *f.now }))
	if err := f.eng.Handle(t.Context(), readJSONL(t, filepath.Join("testdata", "engine", "events.jsonl"))); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.b, err = NewBuilder(NewEngineSource(f.eng), f.st, cfg.Teams, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

// render is the quarter report in format, through `goalpost report`.
func (f *quarterFixture) render(t *testing.T, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(t.Context(), f.b, Request{Quarter: "2026-Q4", Format: format, Now: *f.now}, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// later lands events after the quarter's end, and one inside it that
// arrives late (a PR merged on 30 Dec, stored in January), then moves the
// clock a month on and ticks.
func (f *quarterFixture) later(t *testing.T) {
	t.Helper()
	evs := []event.Event{{ID: "late", Source: event.SourceGitHub, Kind: event.KindPullRequestMerged,
		OccurredAt: time.Date(2026, 12, 30, 10, 0, 0, 0, time.UTC), ActorHandle: "bob-gh", Repo: "acme/api",
		Unit: "acme/api#90", Title: "acme/api#90 Late", Labels: []string{"perf"}}}
	for i, at := 0, q4Over; i < 8; i, at = i+1, at.Add(30*time.Hour) {
		evs = append(evs, shipEvent(200+i, "alice-gh", at))
	}
	*f.now = q4Over.Add(30 * 24 * time.Hour)
	if err := f.eng.Handle(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestQuarterReportGolden (issue 12.5): the report of a finished quarter
// in Markdown (what a terminal gets) and JSON: final values of the key
// results whose period ends in 2026-Q4 (not O3's, in 2027-Q1), grades and
// OKR scores.
func TestQuarterReportGolden(t *testing.T) {
	f := newQuarterFixture(t, q4Over)
	md := f.render(t, FormatMarkdown)
	golden(t, "quarter.golden.md", md)
	golden(t, "quarter.golden.json", f.render(t, FormatJSON))
	if strings.Contains(string(md), "O3") {
		t.Error("a 2027-Q1 objective is in the 2026-Q4 report")
	}
}

// TestClosedQuarterReadsTheSame (issue 12.5): opened a month later, after
// new events landed (one of them inside the quarter, arriving late) and key
// results moved, the quarter report has the same bytes as the day after it
// ended; the events after the end never counted, frozen or not.
func TestClosedQuarterReadsTheSame(t *testing.T) {
	f := newQuarterFixture(t, q4Over)
	first, firstJSON := f.render(t, FormatMarkdown), f.render(t, FormatJSON)

	unfrozen := newQuarterFixture(t, q4Over)
	unfrozen.later(t)
	f.later(t)
	if got := f.render(t, FormatMarkdown); !bytes.Equal(got, first) {
		t.Errorf("2026-Q4 changed after the fact:\n%s", firstDiff(string(first), string(got)))
	}
	if got := f.render(t, FormatJSON); !bytes.Equal(got, firstJSON) {
		t.Errorf("2026-Q4 JSON changed after the fact:\n%s", firstDiff(string(firstJSON), string(got)))
	}
	// Never asked for before the new events: drafted as of the end, so
	// only the late event inside the quarter can differ (perf-prs).
	r, err := unfrozen.b.Quarter(t.Context(), "platform", q4, *unfrozen.now)
	if err != nil {
		t.Fatal(err)
	}
	if r.GeneratedAt.Year() != 2027 || r.GeneratedAt.YearDay() != 1 || !r.Final {
		t.Errorf("drafted at %s (final %v), want the quarter's end", r.GeneratedAt, r.Final)
	}
	for _, o := range r.Objectives {
		for _, k := range o.KRs {
			if k.Key == "ships" && k.Current != 7 {
				t.Errorf("ships = %v after January's ships landed, want 7 (as of the end)", k.Current)
			}
		}
	}
}

// TestQuarterInProgressIsProvisional (issue 12.5): before the quarter
// ends the report says so, has no grades, and is not frozen.
func TestQuarterInProgressIsProvisional(t *testing.T) {
	f := newQuarterFixture(t, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	md := string(f.render(t, FormatMarkdown))
	for _, want := range []string{"**Provisional:**", "not graded yet", "Score so far"} {
		if !strings.Contains(md, want) {
			t.Errorf("provisional report lacks %q:\n%s", want, md)
		}
	}
	for _, grade := range []string{"| hit |", "| partial |", "| missed |"} {
		if strings.Contains(md, grade) {
			t.Errorf("provisional report has a grade %q:\n%s", grade, md)
		}
	}
	r, err := f.b.Quarter(t.Context(), "platform", q4, *f.now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Final || r.Grades != (GradeCount{KRs: 5}) {
		t.Errorf("final %v, grades %+v; want provisional and none", r.Final, r.Grades)
	}
	if _, err := f.st.QuarterSnapshot(t.Context(), "platform", "2026-Q4"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a quarter in progress was frozen: %v", err)
	}
	if _, err := f.b.Quarter(t.Context(), "platform", calendar.Quarter{Year: 2027, Num: 1}, *f.now); err == nil {
		t.Error("a quarter that has not started has a report")
	}
}

// TestQuarterRequestErrors: a bad quarter names the valid form; a format
// the quarter report has not is refused.
func TestQuarterRequestErrors(t *testing.T) {
	f := newQuarterFixture(t, q4Over)
	for _, tc := range []struct{ name, quarter, format, want string }{
		{"no dash", "2026Q4", "", "want YYYY-QN, e.g. 2026-Q4"},
		{"quarter 5", "2026-Q5", "", "want YYYY-QN, e.g. 2026-Q4"},
		{"html", "2026-Q4", FormatHTML, "a quarter report is md or json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(t.Context(), f.b, Request{Quarter: tc.quarter, Format: tc.format, Now: q4Over}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
