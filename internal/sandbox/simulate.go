package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
)

// Simulate plays seed's rhythm, a beat every interval, until ctx ends:
// pull requests and merge requests merged, production deploys (some
// failing), PagerDuty incidents opened and resolved, launch-board cards
// done and added. GitHub's deliveries (pull_request, deployment_status) go,
// signed, to webhookURL; GitLab, PagerDuty and Trello are polled. after is
// called with each beat that did something, and what.
func (s *Sandbox) Simulate(ctx context.Context, webhookURL string, every time.Duration, seed uint64, after func(context.Context, string)) error {
	t := time.NewTicker(every)
	defer t.Stop()
	r := NewRhythm(s.Company, seed)
	s.StartLive(time.Now())
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		what, err := s.Play(ctx, r.Next(), time.Now().UTC(), webhookURL)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("simulate: %w", err)
		}
		if what != "" {
			after(ctx, what)
		}
	}
}

// Play makes beat b happen at at on the fakes and, when webhookURL is not
// "", delivers GitHub's webhooks for it. It returns what happened, in a
// line ("" for a quiet beat).
func (s *Sandbox) Play(ctx context.Context, b Beat, at time.Time, webhookURL string) (string, error) {
	e := s.engineer(b.Author)
	switch b.Kind {
	case BeatMerge:
		if b.Repo == repoMobile {
			n := s.mergeMR(0, e.GitHub, b.Title, b.Labels, at)
			return fmt.Sprintf("%s merged %s!%d %q (GitLab)", e.Name, b.Repo, n, b.Title), nil
		}
		n, err := s.mergeAndDeliver(ctx, b, e, at, webhookURL)
		return fmt.Sprintf("%s merged %s#%d %q", e.Name, b.Repo, n, b.Title), err
	case BeatDeploy:
		return s.playDeploy(ctx, b, at, webhookURL)
	case BeatIncident:
		s.openIncident(s.live+b.Incident, b.Repo, b.Title, at)
		return fmt.Sprintf("PagerDuty: incident #%d opened on %s: %s", s.live+b.Incident, serviceOf(b.Repo), b.Title), nil
	case BeatResolve:
		s.resolveIncident(s.live+b.Incident, at)
		return fmt.Sprintf("PagerDuty: incident #%d on %s resolved", s.live+b.Incident, serviceOf(b.Repo)), nil
	case BeatCardDone, BeatCardAdded:
		return s.playCard(b, at), nil
	}
	return "", nil
}

// StartLive numbers what the live beats create (pull and merge requests,
// deployments, incidents) from a base that grows by 100 a minute since the
// start of the week, so that a later run's objects never take an earlier
// run's numbers: the store, kept across runs, would take them for the same
// facts and never count them. Without it (tests), numbers follow the
// history's.
func (s *Sandbox) StartLive(now time.Time) {
	s.live = 1000 + 100*int(now.Sub(s.Company.Anchor)/time.Minute)
	s.GitHub.SkipIDs(int64(s.live))
	s.ops.mu.Lock()
	s.ops.iid, s.ops.deployID = max(s.ops.iid, int64(s.live)), max(s.ops.deployID, int64(s.live))
	s.ops.mu.Unlock()
}

// liveNumber is the next live pull request number of repo (0 before
// StartLive: the fake's next).
func (s *Sandbox) liveNumber(repo string) int {
	if s.live == 0 {
		return 0
	}
	if s.liveNums == nil {
		s.liveNums = map[string]int{}
	}
	s.liveNums[repo]++
	return s.live + s.liveNums[repo]
}

func (s *Sandbox) engineer(key string) Engineer {
	for _, e := range s.Company.Engineers {
		if e.Key == key {
			return e
		}
	}
	return Engineer{}
}

func (s *Sandbox) playDeploy(ctx context.Context, b Beat, at time.Time, webhookURL string) (string, error) {
	outcome := "succeeded"
	if !b.Success {
		outcome = "failed"
	}
	if b.Repo == repoMobile {
		s.deployMobile(b.Success, at)
		return fmt.Sprintf("GitLab: the production deploy of %s %s", b.Repo, outcome), nil
	}
	err := s.deployAndDeliver(ctx, webhookURL, b.Success, at)
	return fmt.Sprintf("GitHub: the production deploy of %s %s", b.Repo, outcome), err
}

func (s *Sandbox) playCard(b Beat, at time.Time) string {
	s.board.setClock(at)
	defer s.board.setClock(time.Time{})
	if b.Kind == BeatCardAdded {
		s.addCard(b.Title)
		return fmt.Sprintf("Trello: the card %q was added to the launch board", b.Title)
	}
	if card := s.finishCard(); card != "" {
		return fmt.Sprintf("Trello: the card %q reached Done", card)
	}
	return ""
}

func (s *Sandbox) mergeAndDeliver(ctx context.Context, b Beat, e Engineer, at time.Time, webhookURL string) (int, error) {
	n, err := s.GitHub.AddPullRequest(b.Repo, githubfake.PullRequest{Number: s.liveNumber(b.Repo), Title: b.Title, Author: e.GitHub, Labels: b.Labels,
		HeadRef: fmt.Sprintf("%s/live-%d", e.Key, at.Unix()), CreatedAt: at.Add(-3 * time.Hour)})
	if err != nil {
		return 0, err
	}
	if _, err := s.GitHub.MergePullRequest(b.Repo, n, githubfake.MergeOptions{At: at}); err != nil || webhookURL == "" {
		return n, err
	}
	pr, err := s.get(ctx, fmt.Sprintf("repos/%s/pulls/%d", b.Repo, n))
	if err != nil {
		return n, err
	}
	repo, err := s.get(ctx, "repos/"+b.Repo)
	if err != nil {
		return n, err
	}
	return n, deliver(ctx, webhookURL, "pull_request", map[string]any{
		"action": "closed", "number": n, "pull_request": pr, "repository": repo, "sender": pr["user"],
	})
}

func (s *Sandbox) deployAndDeliver(ctx context.Context, webhookURL string, success bool, at time.Time) error {
	id, err := s.GitHub.AddDeployment(repoAPI, githubfake.Deployment{SHA: "main", Ref: "main", Environment: "production", Creator: "deploy-bot", CreatedAt: at})
	if err != nil {
		return err
	}
	state := "success"
	if !success {
		state = "failure"
	}
	if _, err := s.GitHub.AddDeploymentStatus(repoAPI, id, githubfake.DeploymentStatus{State: state, Creator: "deploy-bot", CreatedAt: at}); err != nil || webhookURL == "" {
		return err
	}
	repo, err := s.get(ctx, "repos/"+repoAPI)
	if err != nil {
		return err
	}
	dep, err := s.get(ctx, fmt.Sprintf("repos/%s/deployments/%d", repoAPI, id))
	if err != nil {
		return err
	}
	var statuses []map[string]any
	if err := s.getInto(ctx, fmt.Sprintf("repos/%s/deployments/%d/statuses", repoAPI, id), &statuses); err != nil || len(statuses) == 0 {
		return fmt.Errorf("deployment statuses: %v", err)
	}
	return deliver(ctx, webhookURL, "deployment_status", map[string]any{
		"action": "created", "deployment_status": statuses[0], "deployment": dep, "repository": repo, "sender": dep["creator"],
	})
}

func (s *Sandbox) get(ctx context.Context, path string) (map[string]any, error) {
	var out map[string]any
	return out, s.getInto(ctx, path, &out)
}

func (s *Sandbox) getInto(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.GitHubURL()+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+GitHubToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// deliver posts a webhook the way GitHub does: JSON body, event and delivery
// headers, X-Hub-Signature-256 over the raw body.
func deliver(ctx context.Context, url, event string, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, []byte(WebhookSecret))
	mac.Write(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", uuid.NewString())
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("webhook %s answered %s: %s", event, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}
