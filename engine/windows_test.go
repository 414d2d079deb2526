package engine

import (
	"testing"

	"github.com/goalpost/goalpost/pipeline/event"
)

// TestCalendarWindowKeyResults: the same shipped changes, counted over
// last_month in three time zones at the same moment, and per week over
// last_week in Kolkata on a Monday morning. A change shipped at 2026-11-01
// 03:00 UTC is October in Los Angeles and November in UTC and Sydney; one
// shipped at 2026-10-31 14:30 UTC is November in Sydney only.
func TestCalendarWindowKeyResults(t *testing.T) {
	src := `
[[objectives]]
key = "U"
period = "2026-Q4"
[[objectives.key_results]]
key = "utc_last_month"
type = "count"
target = 5
window = "last_month"
match = 'kind == "change.shipped"'
[[objectives]]
key = "L"
period = "2026-Q4"
time_zone = "America/Los_Angeles"
[[objectives.key_results]]
key = "la_last_month"
type = "count"
target = 5
window = "last_month"
match = 'kind == "change.shipped"'
[[objectives]]
key = "S"
period = "2026-Q4"
time_zone = "Australia/Sydney"
[[objectives.key_results]]
key = "syd_last_month"
type = "count"
target = 5
window = "last_month"
match = 'kind == "change.shipped"'
[[objectives]]
key = "K"
period = "2026-Q4"
time_zone = "Asia/Kolkata"
[[objectives.key_results]]
key = "kol_last_week"
type = "metric"
aggregate = "count_per_week"
window = "last_week"
target = 5
match = 'kind == "change.shipped"'
`
	ship := func(id, at string) event.Event {
		return event.Event{ID: id, Source: "github", Kind: event.KindChangeShipped, Repo: "acme/api",
			Unit: "acme/api#" + id, Title: "change " + id, OccurredAt: mustTime(at), ActorHandle: "dev"}
	}
	evs := []event.Event{
		ship("1", "2026-10-31T12:30:00Z"), // Sydney: Oct 31 23:30; LA: Oct 31 05:30
		ship("2", "2026-10-31T14:30:00Z"), // Sydney: Nov 1 01:30
		ship("3", "2026-11-01T03:00:00Z"), // LA: Oct 31 20:00; UTC: Nov 1
		ship("4", "2026-11-01T08:00:00Z"), // LA: Nov 1 01:00 PDT
	}
	tests := []struct {
		name, now string
		want      map[string]float64
	}{
		// Local months: UTC Oct {1 2} Nov {3 4}; LA Oct {1 2 3} Nov {4}; Sydney Oct {1} Nov {2 3 4}.
		{"December 1 in UTC and Sydney, still November 30 in LA", "2026-12-01T03:00:00Z",
			map[string]float64{"utc_last_month": 2, "la_last_month": 3, "syd_last_month": 3}},
		{"November 20: October everywhere", "2026-11-20T00:00:00Z",
			map[string]float64{"utc_last_month": 2, "la_last_month": 3, "syd_last_month": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, decodeConfig(t, []byte(src)), mustTime(tt.now))
			if err := h.eng.Handle(t.Context(), evs); err != nil {
				t.Fatal(err)
			}
			for key, want := range tt.want {
				if got := h.result(t, key); got.Current != want {
					t.Errorf("%s = %v, want %v (%s)", key, got.Current, want, got.Formula)
				}
			}
		})
	}
	t.Run("last_week on a Monday morning in Kolkata", func(t *testing.T) {
		h := newHarness(t, decodeConfig(t, []byte(src)), mustTime("2026-11-09T03:00:00Z")) // Monday 08:30 IST
		week := []event.Event{
			ship("a", "2026-11-01T18:29:00Z"), // Sunday Nov 1 23:59 IST: the week before
			ship("b", "2026-11-01T18:30:00Z"), // Monday Nov 2 00:00 IST
			ship("c", "2026-11-08T18:00:00Z"), // Sunday Nov 8 23:30 IST
			ship("d", "2026-11-08T19:00:00Z"), // Monday Nov 9 00:30 IST: this week
		}
		if err := h.eng.Handle(t.Context(), week); err != nil {
			t.Fatal(err)
		}
		got := h.result(t, "kol_last_week")
		if got.Current != 2 {
			t.Errorf("kol_last_week = %v, want 2 (%s)", got.Current, got.Formula)
		}
		const formula = "count_per_week = 2 units in the last full week / 1 weeks = 2 per week"
		if len(got.Formula) < len(formula) || got.Formula[:len(formula)] != formula {
			t.Errorf("formula %q, want it to start %q", got.Formula, formula)
		}
	})
}
