package writeback_test

import (
	"testing"

	"github.com/goalpost/goalpost/internal/metrics"
)

// counter sums a counter family over its labels.
func counter(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	return sum(t, m, name, false)
}

// gauge sums a gauge family over its labels.
func gauge(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	return sum(t, m, name, true)
}

func sum(t *testing.T, m *metrics.Metrics, name string, isGauge bool) float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, mt := range f.GetMetric() {
			if isGauge {
				total += mt.GetGauge().GetValue()
			} else {
				total += mt.GetCounter().GetValue()
			}
		}
	}
	return total
}
