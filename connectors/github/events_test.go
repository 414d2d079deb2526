package github

import (
	"slices"
	"testing"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/goalpost/goalpost/pipeline/event"
)

func TestIssueKeys(t *testing.T) {
	cases := []struct {
		name              string
		head, title, body string
		want              []string
	}{
		{"jira key in title", "feature", "AUTH-123 passkeys", "", []string{"AUTH-123"}},
		{"linear branch", "alice/eng-42-fix-login", "Fix login", "", []string{"ENG-42"}},
		{"closing words", "x", "y", "Fixes ENG-42, refs AUTH-7 and ENG-42 again", []string{"ENG-42", "AUTH-7"}},
		{"branch words are not keys", "fix-77", "release-2026 bump", "", nil},
		{"standards are not keys", "", "Use SHA-256 and UTF-8 (RFC-9110, CVE-2024-3094)", "", nil},
		{"lower case in title is prose", "", "see eng-42", "", nil},
		{"digits in project key", "", "K8S-12 rollout", "", []string{"K8S-12"}},
		{"too long a prefix", "", "ABCDEFGHIJK-1", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := issueKeys(tc.head, tc.title, tc.body); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPRInfoFromEitherSchema(t *testing.T) {
	merged := gh.Timestamp{Time: time.Date(2026, 7, 2, 15, 4, 5, 0, time.UTC)}
	simple := &gh.PullRequest{ // list endpoints: no "merged" field
		Number: gh.Int(7), MergedAt: &merged, MergeCommitSHA: gh.String("abc"),
		User: &gh.User{Login: gh.String("alice")}, CreatedAt: &gh.Timestamp{Time: merged.Add(-time.Hour)},
	}
	full := *simple
	full.Merged = gh.Bool(true)
	a, b := newPRInfo("acme/api", simple), newPRInfo("acme/api", &full)
	if !a.merged() || !b.merged() || a.MergeSHA != "abc" {
		t.Fatalf("merged PR read as unmerged: %+v", a)
	}
	ea, eb := a.facts(), b.facts()
	if len(ea) != 2 || ea[1].ID != eb[1].ID || ea[1].Kind != event.KindPullRequestMerged {
		t.Fatalf("facts differ between schemas: %v / %v", ea, eb)
	}
	closedOnly := &gh.PullRequest{Number: gh.Int(8), ClosedAt: &merged, MergeCommitSHA: gh.String("test-merge-sha"), CreatedAt: &merged}
	if f := newPRInfo("acme/api", closedOnly).facts(); f[1].Kind != event.KindPullRequestClosed || len(f[1].SHAs) != 0 {
		t.Fatalf("closed unmerged PR: %+v", f)
	}
}
