package rules

import "time"

// Pace is the share of [start, end) elapsed at now, clamped to 0..1: the
// progress a straight line from baseline to target expects by now.
func Pace(start, end, now time.Time) float64 {
	total := end.Sub(start)
	if total <= 0 {
		return 1
	}
	return clamp(float64(now.Sub(start))/float64(total), 0, 1)
}

func clamp(v, lo, hi float64) float64 {
	switch {
	case v <= lo: // also -0, which is not below 0
		return lo
	case v > hi:
		return hi
	}
	return v
}
