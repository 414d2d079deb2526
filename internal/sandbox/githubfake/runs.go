package githubfake

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// WorkflowRun seeds a GitHub Actions workflow run.
type WorkflowRun struct {
	// Workflow is the workflow file name, e.g. "deploy.yml".
	Workflow   string
	Name       string // default: the file name without extension
	HeadBranch string // default: the default branch
	HeadSHA    string // default: the head of HeadBranch
	Event      string // default "push"
	// Status is queued, in_progress or completed (default completed).
	Status string
	// Conclusion is success, failure, cancelled, ... (set when completed).
	Conclusion string
	Actor      string
	RunAttempt int
	CreatedAt  time.Time
	UpdatedAt  time.Time // default CreatedAt
}

type run struct {
	WorkflowRun
	id, workflowID int64
	number         int
}

// AddWorkflowRun records a workflow run and returns its id.
func (f *Fake) AddWorkflowRun(fullName string, wr WorkflowRun) (int64, error) {
	if wr.Workflow == "" {
		return 0, fmt.Errorf("githubfake: workflow run needs a workflow file name")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repoLocked(fullName)
	if err != nil {
		return 0, err
	}
	if wr.HeadBranch == "" {
		wr.HeadBranch = r.defaultBranch
	}
	if wr.HeadSHA == "" {
		wr.HeadSHA = r.branches[wr.HeadBranch]
	}
	if c := r.resolve(wr.HeadSHA); c != nil {
		wr.HeadSHA = c.sha
	} else {
		return 0, fmt.Errorf("%w: commit %q", ErrNotFound, wr.HeadSHA)
	}
	if wr.Name == "" {
		wr.Name = strings.TrimSuffix(strings.TrimSuffix(wr.Workflow, ".yml"), ".yaml")
	}
	wr.Event = cmpOr(wr.Event, "push")
	wr.Status = cmpOr(wr.Status, "completed")
	wr.RunAttempt = max(wr.RunAttempt, 1)
	if wr.CreatedAt.IsZero() {
		wr.CreatedAt = f.now()
	}
	if wr.UpdatedAt.IsZero() {
		wr.UpdatedAt = wr.CreatedAt
	}
	wid, ok := r.workflows[wr.Workflow]
	if !ok {
		wid = f.id()
		r.workflows[wr.Workflow] = wid
	}
	rn := &run{WorkflowRun: wr, id: f.id(), workflowID: wid, number: len(r.runs) + 1}
	r.runs = append(r.runs, rn)
	return rn.id, nil
}

// CompleteWorkflowRun sets a run's status to completed with conclusion at at.
func (f *Fake) CompleteWorkflowRun(fullName string, runID int64, conclusion string, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repoLocked(fullName)
	if err != nil {
		return err
	}
	for _, rn := range r.runs {
		if rn.id == runID {
			if at.IsZero() {
				at = f.now()
			}
			rn.Status, rn.Conclusion, rn.UpdatedAt = "completed", conclusion, at
			return nil
		}
	}
	return fmt.Errorf("%w: workflow run %d", ErrNotFound, runID)
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (r *repo) renderRun(rn *run) *github.WorkflowRun {
	out := &github.WorkflowRun{
		ID: github.Int64(rn.id), Name: github.String(rn.Name), WorkflowID: github.Int64(rn.workflowID),
		HeadBranch: github.String(rn.HeadBranch), HeadSHA: github.String(rn.HeadSHA),
		Event: github.String(rn.Event), Status: github.String(rn.Status),
		RunNumber: github.Int(rn.number), RunAttempt: github.Int(rn.RunAttempt),
		Actor: user(rn.Actor), TriggeringActor: user(rn.Actor),
		CreatedAt: ts(rn.CreatedAt), UpdatedAt: ts(rn.UpdatedAt), RunStartedAt: ts(rn.CreatedAt),
		HTMLURL:      github.String(fmt.Sprintf("%s/%s/actions/runs/%d", htmlBase, r.fullName(), rn.id)),
		Repository:   r.render(),
		PullRequests: []*github.PullRequest{},
	}
	if rn.Status == "completed" {
		out.Conclusion = github.String(rn.Conclusion)
	}
	return out
}

// listRuns serves GET /repos/{owner}/{repo}/actions/runs and
// .../actions/workflows/{workflow}/runs (workflow id or file name), newest
// first, filtered by branch, event, actor, head_sha, status (a status or a
// conclusion) and created (">=2026-07-01", "<=...", "a..b", or a date).
func (f *Fake) listRuns(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rp := f.repoFor(r)
	if rp == nil {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	wf := r.PathValue("workflow")
	wid, byFile := rp.workflows[wf]
	if id, err := strconv.ParseInt(wf, 10, 64); err == nil {
		wid, byFile = id, true
	}
	if wf != "" && !byFile {
		f.mu.Unlock()
		f.notFound(w)
		return
	}
	q := r.URL.Query()
	var sel []*run
	for _, rn := range slices.Backward(rp.runs) {
		if (wf == "" || rn.workflowID == wid) && rn.matches(q.Get) {
			sel = append(sel, rn)
		}
	}
	out := &github.WorkflowRuns{TotalCount: github.Int(len(sel)), WorkflowRuns: []*github.WorkflowRun{}}
	for _, rn := range pageOf(w, r, sel) {
		out.WorkflowRuns = append(out.WorkflowRuns, rp.renderRun(rn))
	}
	f.mu.Unlock()
	f.respond(w, r, http.StatusOK, out)
}

func (rn *run) matches(get func(string) string) bool {
	eq := func(key, v string) bool { return get(key) == "" || get(key) == v }
	st := get("status")
	statusOK := st == "" || st == rn.Status || (rn.Status == "completed" && st == rn.Conclusion)
	return statusOK && eq("branch", rn.HeadBranch) && eq("event", rn.Event) &&
		eq("actor", rn.Actor) && eq("head_sha", rn.HeadSHA) && createdMatch(get("created"), rn.CreatedAt)
}

// createdMatch implements the created filter's date-range syntax.
func createdMatch(expr string, t time.Time) bool {
	if expr == "" {
		return true
	}
	parse := func(s string) (time.Time, bool) {
		for _, layout := range []string{time.RFC3339, "2006-01-02"} {
			if v, err := time.Parse(layout, s); err == nil {
				return v, true
			}
		}
		return time.Time{}, false
	}
	day := 24 * time.Hour
	if a, b, ok := strings.Cut(expr, ".."); ok {
		from, ok1 := parse(a)
		to, ok2 := parse(b)
		return ok1 && ok2 && !t.Before(from) && t.Before(to.Add(day))
	}
	for _, op := range []string{">=", "<=", ">", "<"} {
		if rest, ok := strings.CutPrefix(expr, op); ok {
			v, ok := parse(rest)
			if !ok {
				return false
			}
			switch op {
			case ">=":
				return !t.Before(v)
			case "<=":
				return t.Before(v.Add(day))
			case ">":
				return t.After(v)
			default:
				return t.Before(v)
			}
		}
	}
	v, ok := parse(expr)
	return ok && !t.Before(v) && t.Before(v.Add(day))
}

// RerunWorkflowRun re-runs a completed run at at, as "Re-run jobs" does on
// GitHub: the run keeps its id and created_at, its run_attempt goes up by
// one and it is in progress again (complete it with CompleteWorkflowRun).
func (f *Fake) RerunWorkflowRun(fullName string, runID int64, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repoLocked(fullName)
	if err != nil {
		return err
	}
	for _, rn := range r.runs {
		if rn.id == runID {
			if at.IsZero() {
				at = f.now()
			}
			rn.RunAttempt++
			rn.Status, rn.Conclusion, rn.UpdatedAt = "in_progress", "", at
			return nil
		}
	}
	return fmt.Errorf("%w: workflow run %d", ErrNotFound, runID)
}
