package engine

import (
	"testing"

	"github.com/goalpost/goalpost/pipeline/event"
)

const fairnessConfig = `
[[people]]
key = "ana"
github = "ana"

[[people]]
key = "ben"
github = "ben"
start = "2026-11-04"

[[people]]
key = "cy"
github = "cy"
away = ["2026-W45"]

[[people]]
key = "dee"
github = "dee"
end = "2026-11-08"
`

// flags lists, per person, the weeks the grid calls a miss or silent.
func flags(g BaselineGrid) map[string][]string {
	out := map[string][]string{}
	for _, r := range g.Rows {
		for _, c := range r.Cells {
			if c.Miss || c.Silent || c.TwoInARow {
				out[r.Person] = append(out[r.Person], c.Week.String())
			}
		}
	}
	return out
}

// TestFreshInstallFlagsNobody: with one day of history, every earlier week
// is "no data": nobody is a miss, silent or two in a row, whatever day of
// the week the install happens.
func TestFreshInstallFlagsNobody(t *testing.T) {
	tests := []struct{ name, now, event string }{
		{"mid-week", "2026-11-18T12:00:00Z", "2026-11-17T15:00:00Z"},
		{"Monday morning, history from Sunday", "2026-11-23T08:00:00Z", "2026-11-22T15:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, decodeConfig(t, []byte(fairnessConfig)), mustTime(tt.now))
			if err := h.eng.Handle(t.Context(), []event.Event{shippedEv("1", "ana", tt.event)}); err != nil {
				t.Fatal(err)
			}
			g, err := h.eng.Baseline(t.Context(), 8, "")
			if err != nil {
				t.Fatal(err)
			}
			if f := flags(g); len(f) != 0 {
				t.Fatalf("flagged %v on a fresh install", f)
			}
			for _, r := range g.Rows {
				if r.TwoInARow || r.Silent {
					t.Errorf("%s flagged: two in a row %v, silent %v", r.Person, r.TwoInARow, r.Silent)
				}
			}
		})
	}
}

// TestStartEndAndAway: weeks before a person's start or after their end
// are no data; away weeks (configured or recorded) are neither misses nor
// silent; the coverage counts only those who could have shipped.
func TestStartEndAndAway(t *testing.T) {
	h := newHarness(t, decodeConfig(t, []byte(fairnessConfig)), mustTime("2026-11-25T12:00:00Z"))
	evs := []event.Event{
		shippedEv("1", "ana", "2026-10-01T10:00:00Z"), // history starts in W40
		shippedEv("2", "ben", "2026-11-12T10:00:00Z"), // W46
	}
	if err := h.eng.Handle(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	if err := h.st.SetAway(t.Context(), "cy", "2026-W46", mustTime("2026-11-20T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	g, err := h.eng.Baseline(t.Context(), 4, "") // W45..W48, W48 in progress
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"ana": {"2026-W45", "2026-W46", "2026-W47"},
		"ben": {"2026-W47"}, // started Wed of W45: no data until W46
		"cy":  {"2026-W47"}, // away W45 (config) and W46 (recorded)
		"dee": {"2026-W45"}, // left on Sunday of W45
	}
	got := flags(g)
	for p, w := range want {
		if len(got[p]) != len(w) || (len(w) > 0 && got[p][0] != w[0]) {
			t.Errorf("%s flagged %v, want %v", p, got[p], w)
		}
	}
	cells := map[string]BaselineCell{}
	for _, r := range g.Rows {
		cells[r.Person+" "+r.Cells[0].Week.String()] = r.Cells[0]
		cells[r.Person+" "+r.Cells[1].Week.String()] = r.Cells[1]
		cells[r.Person+" "+r.Cells[2].Week.String()] = r.Cells[2]
	}
	if c := cells["ben 2026-W45"]; !c.NoData || c.Miss {
		t.Errorf("ben before his start: %+v, want no data", c)
	}
	if c := cells["cy 2026-W46"]; !c.Away || c.Miss || c.Silent {
		t.Errorf("cy away: %+v", c)
	}
	if c := cells["dee 2026-W46"]; !c.NoData {
		t.Errorf("dee after her end: %+v, want no data", c)
	}
	if c := g.Coverage[1]; c.Engineers != 2 || c.Met != 1 { // W46: ana and ben could ship; ben did
		t.Errorf("W46 coverage %+v, want 1 of 2", c)
	}
}
