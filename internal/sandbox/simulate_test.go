package sandbox

import (
	"testing"
	"time"
)

// TestLiveRunsNeverReuseNumbers: two live runs in the same week (the
// store kept between them) name their pull requests, merge requests and
// incidents differently, and after the seeded history's.
func TestLiveRunsNeverReuseNumbers(t *testing.T) {
	beats := []Beat{
		{Kind: BeatMerge, Repo: repoWeb, Author: "ana", Title: "Fix flaky checkout test"},
		{Kind: BeatMerge, Repo: repoMobile, Author: "fay", Title: "Faster app start"},
		{Kind: BeatIncident, Repo: repoAPI, Incident: 2, Title: "Error rate up"},
	}
	anchor := NewCompany(time.Now()).Anchor
	runs := make([][]string, 2)
	for i := range runs {
		sb, err := Start(anchor)
		if err != nil {
			t.Fatal(err)
		}
		at := anchor.Add(time.Duration(i+1) * time.Hour)
		sb.StartLive(at)
		for _, b := range beats {
			what, err := sb.Play(t.Context(), b, at, "")
			if err != nil {
				t.Fatal(err)
			}
			runs[i] = append(runs[i], what)
		}
		sb.Close()
	}
	for k := range beats {
		if runs[0][k] == runs[1][k] {
			t.Errorf("both runs played %q", runs[0][k])
		}
	}
	t.Log(runs)
}
