// Package sandbox is goalpost's built-in demo world: a small sample company
// (engineers in several time zones, repositories with merged pull requests
// and production deploys over the last weeks, a Notion database of key-result
// pages) served by in-process fakes of the GitHub and Notion APIs on
// 127.0.0.1, and the configuration that points goalpost at them. The real
// connector and writer code talks HTTP to the sandbox exactly as it would to
// api.github.com and api.notion.com; only the base URLs differ.
package sandbox

import (
	"fmt"
	"time"

	"github.com/goalpost/goalpost/rules/calendar"
)

// Engineer is one person of the sample company.
type Engineer struct {
	Key, Name, GitHub, TimeZone string
	// Weekly is how many changes they merge in each of the seeded weeks,
	// oldest first; -1 means no activity at all that week (silence).
	Weekly []int
}

// PR is one seeded pull request, merged at MergedAt into the default branch.
type PR struct {
	Repo     string
	Number   int
	Author   string // GitHub login
	Title    string
	Branch   string
	Labels   []string
	MergedAt time.Time
}

// Deploy is one seeded deployment of a repository's default branch head.
type Deploy struct {
	Repo        string
	Environment string
	At          time.Time
	Success     bool
}

// Incident is one seeded PagerDuty incident on the service that runs Repo.
type Incident struct {
	Number           int
	Repo, Title      string
	Opened, Resolved time.Time
}

// Company is the seeded world, anchored at the start of the current week so
// that two runs in the same week see the same data (and the same event IDs).
type Company struct {
	Anchor    time.Time // Monday 00:00 UTC of the current week
	Weeks     int       // seeded full weeks before Anchor
	Engineers []Engineer
	PRs       []PR
	Deploys   []Deploy // GitHub deployments (acme/api) and GitLab ones (acme/mobile)
	Incidents []Incident
	Cards     []Card // the passwordless launch board on Trello
}

const (
	repoAPI    = "acme/api"    // deploys through GitHub deployments (production, staging)
	repoWeb    = "acme/web"    // ship_on_merge: continuous deploy on merge
	repoMobile = "acme/mobile" // on GitLab: merge requests, production deployments on Thursdays
)

var mobileTitles = []string{"Offline mode for the order list", "Push notification settings", "Faster app start",
	"Dark mode for receipts", "Retry failed uploads", "Accessibility labels on checkout"}

// engineers: ana ships every week; bo misses the last two weeks in a row;
// chen is silent in the last week; eli (Sydney) merges late on Sundays UTC,
// which is already Monday at home; fay is steady; a contractor's handle is
// not in the directory (reported as unmapped, never dropped).
func engineers() []Engineer {
	return []Engineer{
		{"ana", "Ana Lima", "ana-lima", "Europe/Lisbon", []int{2, 1, 2, 1, 2, 1}},
		{"bo", "Bo Carter", "bocarter", "America/New_York", []int{1, 2, 1, 1, 0, 0}},
		{"chen", "Chen Wei", "chenwei", "Asia/Shanghai", []int{1, 1, 2, 1, 1, -1}},
		{"eli", "Eli Walker", "eliwalker", "Australia/Sydney", []int{1, 0, 1, 2, 1, 1}},
		{"fay", "Fay Moreau", "faymoreau", "America/Los_Angeles", []int{0, 1, 1, 1, 2, 1}},
	}
}

var titles = []struct {
	title  string
	labels []string
}{
	{"Cache the pricing lookup", []string{"perf"}},
	{"Fix flaky checkout test", nil},
	{"Paginate the audit log API", []string{"perf"}},
	{"Add retries to the webhook sender", nil},
	{"Trim the login bundle", []string{"perf"}},
	{"Index orders by customer", []string{"perf"}},
	{"Move session store to Redis", nil},
	{"Show plan limits in settings", nil},
}

// NewCompany seeds the sample company for the week containing now.
func NewCompany(now time.Time) *Company {
	c := &Company{Anchor: calendar.UTC.WeekContaining(now).Start, Weeks: 6, Engineers: engineers()}
	numbers := map[string]int{repoAPI: 100, repoWeb: 400, repoMobile: 10}
	for w := 0; w < c.Weeks; w++ {
		monday := c.Anchor.AddDate(0, 0, 7*(w-c.Weeks))
		c.seedWeek(w, monday, numbers)
	}
	c.seedCards()
	return c
}

func (c *Company) seedWeek(w int, monday time.Time, numbers map[string]int) {
	for i, e := range c.Engineers {
		for k := 0; k < max(e.Weekly[w], 0); k++ {
			repo := repoAPI
			if (i+k+w)%3 == 0 {
				repo = repoWeb
			}
			numbers[repo]++
			t := titles[(i*7+k*3+w)%len(titles)]
			merged := monday.Add(time.Duration(24*(k*2+i%3)+9+i) * time.Hour)
			if e.Key == "eli" && k == 0 {
				merged = monday.Add(-30 * time.Minute) // Sunday 23:30 UTC = Monday morning in Sydney
			}
			c.PRs = append(c.PRs, PR{Repo: repo, Number: numbers[repo], Author: e.GitHub, Title: t.title,
				Branch: fmt.Sprintf("%s/change-%d", e.Key, numbers[repo]), Labels: t.labels, MergedAt: merged})
		}
	}
	if w == c.Weeks-2 { // passkeys land in production two weeks ago
		numbers[repoAPI]++
		c.PRs = append(c.PRs, PR{Repo: repoAPI, Number: numbers[repoAPI], Author: "ana-lima",
			Title: "Passkeys: enable for all users", Branch: "ana/AUTH-42-passkeys", Labels: []string{"auth"},
			MergedAt: monday.Add(-9 * time.Hour)})
	}
	numbers[repoAPI]++
	c.PRs = append(c.PRs, PR{Repo: repoAPI, Number: numbers[repoAPI], Author: "gh-contractor",
		Title: "Update dependencies", Branch: "deps/weekly", MergedAt: monday.Add(50 * time.Hour)})
	c.seedMobile(w, monday, numbers)
	// acme/api deploys Tuesday and Friday 15:00 UTC; one Tuesday deploy fails
	// and its changes go out with the Friday deploy. Staging gets every build.
	for _, day := range []int{1, 4} {
		at := monday.Add(time.Duration(24*day+15) * time.Hour)
		c.Deploys = append(c.Deploys,
			Deploy{Repo: repoAPI, Environment: "staging", At: at.Add(-time.Hour), Success: true},
			Deploy{Repo: repoAPI, Environment: "production", At: at, Success: !(w == 2 && day == 1)})
	}
	if w == c.Weeks-2 { // an incident three hours after Tuesday's acme/api deploy
		at := monday.Add(42 * time.Hour)
		c.Incidents = append(c.Incidents, Incident{Number: len(c.Incidents) + 1, Repo: repoAPI,
			Title: "Checkout errors after the API deploy", Opened: at, Resolved: at.Add(40 * time.Minute)})
	}
}

// seedMobile merges two merge requests a week on acme/mobile (GitLab),
// Monday and Wednesday, and deploys them to production on Thursday at
// 11:00 UTC; one Thursday deploy fails and Friday's redeploy ships them.
func (c *Company) seedMobile(w int, monday time.Time, numbers map[string]int) {
	for k, author := range []string{"ana-lima", "faymoreau"} {
		if w%2 == 1 && k == 1 {
			author = "eliwalker"
		}
		numbers[repoMobile]++
		n := numbers[repoMobile]
		c.PRs = append(c.PRs, PR{Repo: repoMobile, Number: n, Author: author, Title: mobileTitles[(2*w+k)%len(mobileTitles)],
			Branch: fmt.Sprintf("mobile-%d", n), MergedAt: monday.Add(time.Duration(48*k+10) * time.Hour)})
	}
	at := monday.Add(3*24*time.Hour + 11*time.Hour)
	if w == 3 {
		c.Deploys = append(c.Deploys, Deploy{Repo: repoMobile, Environment: "production", At: at})
		at = at.Add(24 * time.Hour)
	}
	c.Deploys = append(c.Deploys, Deploy{Repo: repoMobile, Environment: "production", At: at, Success: true})
}
