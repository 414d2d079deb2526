package sandbox

import (
	"fmt"
	"net/http/httptest"
	"sort"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/internal/sandbox/notionfake"
	"github.com/goalpost/goalpost/internal/sandbox/slackfake"
)

// The sandbox's credentials. They open nothing but the in-process fakes.
const (
	GitHubToken   = "sandbox-github-token"
	NotionToken   = "sandbox-notion-token"
	WebhookSecret = "sandbox-webhook-secret"
	goalsDBID     = "5a0d1e00-0000-4000-8000-000000000001"
)

// Sandbox is the running demo world: fake GitHub, GitLab, PagerDuty,
// Notion, Trello and Slack APIs listening on 127.0.0.1, seeded with the
// sample company.
type Sandbox struct {
	Company *Company
	GitHub  *githubfake.Fake
	Notion  *notionfake.Server
	// Slack is the fake Slack Web API the demo's Slack app posts to.
	Slack *slackfake.Fake
	// Pages maps each key result to its Notion page id.
	Pages map[string]string

	board     board          // the fake Trello board
	ops       ops            // the fake GitLab (acme/mobile) and PagerDuty
	live      int            // the live run's number base (StartLive)
	liveNums  map[string]int // live pull requests so far, by repository
	realSlack string         // a real Slack channel to post to instead of the fake

	githubSrv *httptest.Server
	notionSrv *httptest.Server
}

// Start seeds the company for the week containing now and starts the fakes.
func Start(now time.Time) (*Sandbox, error) {
	s := &Sandbox{
		Company: NewCompany(now),
		GitHub:  githubfake.New(githubfake.WithToken(GitHubToken)),
		Notion:  notionfake.New(NotionToken),
		Pages:   map[string]string{},
	}
	if err := s.seedGitHub(); err != nil {
		return nil, fmt.Errorf("seed github: %w", err)
	}
	if err := s.seedNotion(); err != nil {
		return nil, fmt.Errorf("seed notion: %w", err)
	}
	s.githubSrv = httptest.NewServer(s.GitHub.Handler())
	s.notionSrv = httptest.NewServer(s.Notion)
	s.startBoardAndSlack()
	s.startOps()
	return s, nil
}

// Close stops the fakes.
func (s *Sandbox) Close() {
	s.githubSrv.Close()
	s.notionSrv.Close()
	s.board.srv.Close()
	s.board.slack.Close()
	s.closeOps()
}

// GitHubURL and NotionURL are the fakes' base URLs.
func (s *Sandbox) GitHubURL() string { return s.githubSrv.URL + "/" }

// NotionURL is the fake Notion API's base URL.
func (s *Sandbox) NotionURL() string { return s.notionSrv.URL + "/v1/" }

// seedGitHub replays the company's history in time order: pull requests
// opened and merged, deployments created with their statuses.
func (s *Sandbox) seedGitHub() error {
	for _, repo := range []string{repoAPI, repoWeb} {
		if err := s.GitHub.AddRepo(repo, "main"); err != nil {
			return err
		}
	}
	var steps []step
	for _, pr := range s.Company.PRs {
		if pr.Repo != repoMobile {
			steps = append(steps, step{pr.MergedAt, func() error { return s.mergePR(pr) }})
		}
	}
	for _, d := range s.Company.Deploys {
		if d.Repo != repoMobile {
			steps = append(steps, step{d.At, func() error { return s.deploy(d) }})
		}
	}
	return replay(steps)
}

// step is one seeded fact, replayed in time order by replay.
type step struct {
	at time.Time
	do func() error
}

func replay(steps []step) error {
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].at.Before(steps[j].at) })
	for _, st := range steps {
		if err := st.do(); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sandbox) mergePR(pr PR) error {
	n, err := s.GitHub.AddPullRequest(pr.Repo, githubfake.PullRequest{
		Number: pr.Number, Title: pr.Title, Author: pr.Author, Labels: pr.Labels, HeadRef: pr.Branch,
		Body: "Part of the sandbox company's history.", CreatedAt: pr.MergedAt.Add(-20 * time.Hour),
	})
	if err != nil {
		return err
	}
	_, err = s.GitHub.MergePullRequest(pr.Repo, n, githubfake.MergeOptions{At: pr.MergedAt})
	return err
}

func (s *Sandbox) deploy(d Deploy) error {
	id, err := s.GitHub.AddDeployment(d.Repo, githubfake.Deployment{
		SHA: "main", Ref: "main", Environment: d.Environment, Creator: "deploy-bot", CreatedAt: d.At,
	})
	if err != nil {
		return err
	}
	final := "success"
	if !d.Success {
		final = "failure"
	}
	for i, state := range []string{"in_progress", final} {
		at := d.At.Add(time.Duration(i*4) * time.Minute)
		if _, err := s.GitHub.AddDeploymentStatus(d.Repo, id, githubfake.DeploymentStatus{State: state, Creator: "deploy-bot", CreatedAt: at}); err != nil {
			return err
		}
	}
	return nil
}

// seedNotion creates the key-results database with one page per key result.
func (s *Sandbox) seedNotion() error {
	db, err := s.Notion.AddDatabase(goalsDBID, "Q4 key results", notionfake.GoalsSchema())
	if err != nil {
		return err
	}
	for i, kr := range keyResults() {
		id := fmt.Sprintf("5a0d1e00-0000-4000-8000-0000000001%02d", i)
		if _, err := s.Notion.AddPageWithID(id, db, map[string]any{
			"Name": kr.title, "Key": kr.key, "Target": kr.target, "Baseline": kr.baseline,
		}); err != nil {
			return err
		}
		s.Pages[kr.key] = id
	}
	return nil
}

// CheckinMarker starts the check-in callout goalpost keeps on each page.
const CheckinMarker = "Weekly check-in · goalpost"

// WriteOwnerNote types text under the check-in on kr's Notion page, as its
// owner would in Notion. goalpost must have written the check-in first.
func (s *Sandbox) WriteOwnerNote(kr, text string) error {
	page, ok := s.Pages[kr]
	if !ok {
		return fmt.Errorf("no sandbox page for %s", kr)
	}
	_, err := s.Notion.WriteUnderCallout(page, CheckinMarker, text)
	return err
}
