package deploy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/pipeline/event"
)

// Document is the deploy document CI posts.
type Document struct {
	// ID identifies the deploy (a CI run id); optional, default sha@finished_at.
	// Posting the same document again is harmless: it is the same deploy.
	ID          string     `json:"id"`
	Repo        string     `json:"repo"`        // owner/name, required
	Environment string     `json:"environment"` // required
	SHA         string     `json:"sha"`         // the deployed commit, required
	Status      string     `json:"status"`      // success | failure | error | queued | pending | in_progress
	StartedAt   *time.Time `json:"started_at"`  // optional
	FinishedAt  *time.Time `json:"finished_at"` // required when finished
	Actor       string     `json:"actor"`       // who deployed (GitHub login), optional
	URL         string     `json:"url"`         // the CI run, optional
}

var statuses = map[string]bool{"success": true, "failure": true, "error": true, "queued": false, "pending": false, "in_progress": false}

// Validate reports every problem with the document.
func (d Document) Validate() error {
	var errs []error
	if owner, name, ok := strings.Cut(d.Repo, "/"); !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		errs = append(errs, fmt.Errorf("repo: want owner/name, got %q", d.Repo))
	}
	if strings.TrimSpace(d.Environment) == "" {
		errs = append(errs, errors.New("environment: required"))
	}
	if !isHex(d.SHA) || len(d.SHA) < 7 || len(d.SHA) > 40 {
		errs = append(errs, fmt.Errorf("sha: want a commit sha (7 to 40 hex digits), got %q", d.SHA))
	}
	finished, known := statuses[d.Status]
	if !known {
		errs = append(errs, fmt.Errorf("status: want success, failure, error, queued, pending or in_progress, got %q", d.Status))
	}
	if finished && d.FinishedAt == nil {
		errs = append(errs, errors.New("finished_at: required when status is "+d.Status))
	}
	if len(d.ID) > 200 || strings.ContainsAny(d.ID, " \t\n:") {
		errs = append(errs, errors.New("id: at most 200 characters, no spaces or colons"))
	}
	return errors.Join(errs...)
}

// isHex reports whether s is hex digits only (any count: short shas may
// have an odd length, which hex.DecodeString refuses).
func isHex(s string) bool {
	return strings.Trim(s, "0123456789abcdefABCDEF") == ""
}

// finished reports whether the document reports a finished deploy.
func (d Document) finished() bool { return statuses[d.Status] }

// deploy is the document as a finished deploy.
func (d Document) deploy() attribution.Deploy {
	at := d.FinishedAt.UTC()
	key := d.ID
	if key == "" {
		key = fmt.Sprintf("%.12s@%d", strings.ToLower(d.SHA), at.Unix())
	}
	attrs := map[string]string{"status": d.Status}
	if d.StartedAt != nil {
		attrs["duration_seconds"] = strconv.FormatFloat(at.Sub(*d.StartedAt).Seconds(), 'f', 0, 64)
	}
	return attribution.Deploy{
		Source: event.SourceDeploy, Key: key, Repo: d.Repo, Environment: d.Environment,
		SHA: strings.ToLower(d.SHA), Succeeded: d.Status == "success", At: at,
		Actor: d.Actor, URL: d.URL, Attrs: attrs, CreatedAt: orZero(d.StartedAt),
	}
}

func orZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
