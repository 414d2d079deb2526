package rules

import "testing"

// TestGradeThresholds (issue 12.5, ADR 42): grades and scores at and
// around the thresholds: hit from progress 1, partial from 0.5, else
// missed; float noise just under a threshold still reaches it, a real
// shortfall (0.9999, Evaluate's cap below a target not reached) does not.
func TestGradeThresholds(t *testing.T) {
	for _, tc := range []struct {
		name     string
		progress float64
		grade    string
		score    float64
	}{
		{"nothing", 0, GradeMissed, 0},
		{"just under partial", 0.49, GradeMissed, 0.5},
		{"partial, float noise", 0.5 - 1e-12, GradePartial, 0.5},
		{"partial at the threshold", 0.5, GradePartial, 0.5},
		{"partial, almost there", 0.9999, GradePartial, 1},
		{"hit, float noise", 1 - 1e-12, GradeHit, 1},
		{"hit at the target", 1, GradeHit, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Grade(tc.progress); got != tc.grade {
				t.Errorf("Grade(%v) = %s, want %s", tc.progress, got, tc.grade)
			}
			if got := Score(tc.progress); got != tc.score {
				t.Errorf("Score(%v) = %v, want %v", tc.progress, got, tc.score)
			}
		})
	}
}
