package present

import (
	"math"
	"testing"
	"time"

	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/calendar"
)

func TestNumber(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want string
	}{
		{"integer", 12, "12"},
		{"large integer", 1234567, "1234567"},
		{"one decimal", 12.5, "12.5"},
		{"two decimals", 0.25, "0.25"},
		{"rounded to two decimals", 2.0 / 3, "0.67"},
		{"float noise", 0.1 + 0.2, "0.3"},
		{"trailing zeros trimmed", 7.10, "7.1"},
		{"negative", -3.456, "-3.46"},
		{"negative zero", math.Copysign(0, -1), "0"},
		{"rounds to zero from below", -0.001, "0"},
		{"not a number", math.NaN(), "NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Number(tt.in); got != tt.want {
				t.Errorf("Number(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestValueDeltaPercent(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"value without unit", Value(40, ""), "40"},
		{"value in percent", Value(80, "%"), "80%"},
		{"value with unit", Value(12.25, "min"), "12.25 min"},
		{"delta up", Delta(4), "+4"},
		{"delta down", Delta(-2.5), "−2.5"},
		{"delta none", Delta(0), "±0"},
		{"delta below a hundredth", Delta(0.001), "±0"},
		{"percent", Percent(0.754), "75%"},
		{"percent half up", Percent(0.125), "13%"},
		{"percent full", Percent(1), "100%"},
		{"count one", Count(1, "item"), "1 item"},
		{"count zero", Count(0, "item"), "0 items"},
		{"count many", Count(3, "unit"), "3 units"},
		{"period window", Window(calendar.Window{}), "the period so far"},
		{"trailing window", Window(calendar.Trailing(28 * 24 * time.Hour)), "trailing 28d"},
		{"month so far", Window(calendar.Window{Kind: calendar.WindowToDate, Unit: calendar.UnitMonth}), "the month so far"},
		{"last full quarter", Window(calendar.Window{Kind: calendar.WindowPrevious, Unit: calendar.UnitQuarter}), "the last full quarter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		name string
		in   time.Duration
		want string
	}{
		{"zero", 0, "0s"},
		{"under a second", 400 * time.Millisecond, "0s"},
		{"seconds", 10 * time.Second, "10s"},
		{"whole minutes", 5 * time.Minute, "5m"},
		{"minutes and seconds", 2*time.Minute + 3*time.Second, "2m3s"},
		{"whole hours", 2 * time.Hour, "2h"},
		{"whole days", 28 * 24 * time.Hour, "28d"},
		{"days and hours", 25 * time.Hour, "25h"},
		{"negative", -90 * time.Second, "-1m30s"},
		{"hours and minutes", 90 * time.Minute, "1h30m"},
		{"rounded to the second", 1500*time.Millisecond + time.Minute, "1m2s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Duration(tt.in); got != tt.want {
				t.Errorf("Duration(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		machine, human, emoji string
	}{
		{rules.StatusOnTrack, "On track", "🟢"},
		{rules.StatusAtRisk, "At risk", "🟡"},
		{rules.StatusOffTrack, "Off track", "🔴"},
		{rules.StatusDone, "Done", "✅"},
		{rules.StatusStale, "Stale", "⚪"},
		{"paused", "paused", "⚪"},
	}
	for _, tt := range tests {
		t.Run(tt.machine, func(t *testing.T) {
			if got := Status(tt.machine); got != tt.human {
				t.Errorf("Status = %q, want %q", got, tt.human)
			}
			if got := StatusEmoji(tt.machine); got != tt.emoji {
				t.Errorf("StatusEmoji = %q, want %q", got, tt.emoji)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"human spelling", "At risk", rules.StatusAtRisk, true},
		{"older lower-case spelling", "off track", rules.StatusOffTrack, true},
		{"machine spelling", "on_track", rules.StatusOnTrack, true},
		{"surrounding space", "  Done ", rules.StatusDone, true},
		{"unknown", "paused", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseStatus(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseStatus(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
	for _, s := range Statuses() {
		if got, ok := ParseStatus(Status(s)); !ok || got != s {
			t.Errorf("ParseStatus(Status(%q)) = %q, %v", s, got, ok)
		}
	}
}
