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

// Change is one change the simulator shipped, and the Trello card it
// moved to Done ("" when the board has none left).
type Change struct {
	Author, Repo, Title string
	Number              int
	Card                string
}

// Simulate ships a change every interval until ctx ends, the way a team
// would: a pull request is merged, then deployed to production, and GitHub
// delivers the signed webhooks (pull_request, deployment_status) to
// webhookURL. after is called once both deliveries were answered.
func (s *Sandbox) Simulate(ctx context.Context, webhookURL string, every time.Duration, after func(context.Context, Change)) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		ch, err := s.shipOne(ctx, webhookURL, i)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("simulate: %w", err)
		}
		ch.Card = s.finishCard()
		after(ctx, ch)
	}
}

func (s *Sandbox) shipOne(ctx context.Context, webhookURL string, i int) (Change, error) {
	e := s.Company.Engineers[i%len(s.Company.Engineers)]
	t := titles[i%len(titles)]
	now := time.Now().UTC().Add(-time.Second)
	n, err := s.GitHub.AddPullRequest(repoAPI, githubfake.PullRequest{Title: t.title, Author: e.GitHub, Labels: t.labels,
		HeadRef: fmt.Sprintf("%s/live-%d", e.Key, i), CreatedAt: now.Add(-time.Hour)})
	if err != nil {
		return Change{}, err
	}
	if _, err := s.GitHub.MergePullRequest(repoAPI, n, githubfake.MergeOptions{At: now}); err != nil {
		return Change{}, err
	}
	pr, err := s.get(ctx, fmt.Sprintf("repos/%s/pulls/%d", repoAPI, n))
	if err != nil {
		return Change{}, err
	}
	repo, err := s.get(ctx, "repos/"+repoAPI)
	if err != nil {
		return Change{}, err
	}
	if err := deliver(ctx, webhookURL, "pull_request", map[string]any{
		"action": "closed", "number": n, "pull_request": pr, "repository": repo, "sender": pr["user"],
	}); err != nil {
		return Change{}, err
	}
	if err := s.deployAndDeliver(ctx, webhookURL, repo, now.Add(time.Second)); err != nil {
		return Change{}, err
	}
	return Change{Author: e.Name, Repo: repoAPI, Title: t.title, Number: n}, nil
}

func (s *Sandbox) deployAndDeliver(ctx context.Context, webhookURL string, repo map[string]any, at time.Time) error {
	id, err := s.GitHub.AddDeployment(repoAPI, githubfake.Deployment{SHA: "main", Ref: "main", Environment: "production", Creator: "deploy-bot", CreatedAt: at})
	if err != nil {
		return err
	}
	if _, err := s.GitHub.AddDeploymentStatus(repoAPI, id, githubfake.DeploymentStatus{State: "success", Creator: "deploy-bot", CreatedAt: at}); err != nil {
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
