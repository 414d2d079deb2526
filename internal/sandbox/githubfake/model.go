package githubfake

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound is returned by seeding methods given an unknown repository,
// pull request, deployment or hook.
var ErrNotFound = errors.New("githubfake: not found")

// repo is one repository's state.
type repo struct {
	id            int64
	owner, name   string
	defaultBranch string
	createdAt     time.Time
	pushedAt      time.Time

	commits  map[string]*commit
	seq      int
	branches map[string]string // branch -> head sha

	pulls      []*pull
	nextNumber int

	deployments []*deployment
	runs        []*run
	workflows   map[string]int64 // workflow file -> id
	releases    []*release
	hooks       map[int64]*hook
}

func (r *repo) fullName() string { return r.owner + "/" + r.name }

type hook struct {
	id         int64
	deliveries []*HookDelivery // oldest first
}

// AddRepo creates the repository fullName ("owner/name") with an initial
// commit on defaultBranch ("main" when empty). Adding an existing repository
// is an error.
func (f *Fake) AddRepo(fullName, defaultBranch string) error {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("githubfake: repository %q: want owner/name", fullName)
	}
	if defaultBranch == "" {
		defaultBranch = "main"
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	key := strings.ToLower(fullName)
	if _, dup := f.repos[key]; dup {
		return fmt.Errorf("githubfake: repository %s already exists", fullName)
	}
	now := f.now().UTC()
	r := &repo{
		id: f.id(), owner: owner, name: name, defaultBranch: defaultBranch,
		createdAt: now, pushedAt: now,
		commits: map[string]*commit{}, branches: map[string]string{},
		nextNumber: 1, workflows: map[string]int64{}, hooks: map[int64]*hook{},
	}
	f.repos[key] = r
	f.order = append(f.order, key)
	f.commitLocked(r, Commit{Branch: defaultBranch, Message: "Initial commit", Author: owner, Date: now})
	return nil
}

// DefaultBranchHead returns the sha at the tip of the repository's default branch.
func (f *Fake) DefaultBranchHead(fullName string) (string, error) {
	return f.BranchHead(fullName, "")
}

// BranchHead returns the sha at the tip of branch ("" = the default branch).
func (f *Fake) BranchHead(fullName, branch string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repoLocked(fullName)
	if err != nil {
		return "", err
	}
	if branch == "" {
		branch = r.defaultBranch
	}
	sha, ok := r.branches[branch]
	if !ok {
		return "", fmt.Errorf("%w: branch %s", ErrNotFound, branch)
	}
	return sha, nil
}

func (f *Fake) repoLocked(fullName string) (*repo, error) {
	r, ok := f.repos[strings.ToLower(fullName)]
	if !ok {
		return nil, fmt.Errorf("%w: repository %s", ErrNotFound, fullName)
	}
	return r, nil
}

// SkipIDs makes the next object ids start n later (the sandbox's live
// runs use it so that two runs never reuse an id).
func (f *Fake) SkipIDs(n int64) {
	f.mu.Lock()
	f.nextID += n
	f.mu.Unlock()
}

// id returns the next object id (shared by all object kinds, like GitHub's
// large unique ids).
func (f *Fake) id() int64 {
	f.nextID++
	return 1000 + f.nextID
}

// commit is one commit in a repository's graph.
type commit struct {
	sha     string
	message string
	author  string
	date    time.Time
	parents []string
	seq     int // creation order, the tie-breaker for chronological order
}

// Commit seeds one commit.
type Commit struct {
	// SHA is the commit id (default: derived from the repository and a counter).
	SHA string
	// Branch is the branch committed to (default: the default branch); its
	// head moves to the new commit, creating the branch if needed.
	Branch string
	// Parents default to the branch head.
	Parents []string
	Message string
	Author  string // login
	Date    time.Time
}

// AddCommit adds c to the repository and returns its sha.
func (f *Fake) AddCommit(fullName string, c Commit) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.repoLocked(fullName)
	if err != nil {
		return "", err
	}
	for _, p := range c.Parents {
		if r.commits[p] == nil {
			return "", fmt.Errorf("%w: parent commit %s", ErrNotFound, p)
		}
	}
	if c.SHA != "" && r.commits[c.SHA] != nil {
		return "", fmt.Errorf("githubfake: commit %s already exists", c.SHA)
	}
	return f.commitLocked(r, c).sha, nil
}

func (f *Fake) commitLocked(r *repo, c Commit) *commit {
	if c.Branch == "" {
		c.Branch = r.defaultBranch
	}
	if c.Parents == nil {
		if head, ok := r.branches[c.Branch]; ok {
			c.Parents = []string{head}
		} else if head, ok := r.branches[r.defaultBranch]; ok {
			c.Parents = []string{head}
		}
	}
	if c.Date.IsZero() {
		c.Date = f.now()
	}
	r.seq++
	if c.SHA == "" {
		sum := sha1.Sum([]byte(r.fullName() + "\x00" + strconv.Itoa(r.seq) + "\x00" + c.Message))
		c.SHA = hex.EncodeToString(sum[:])
	}
	cm := &commit{sha: c.SHA, message: c.Message, author: c.Author, date: c.Date.UTC(), parents: c.Parents, seq: r.seq}
	r.commits[cm.sha] = cm
	r.branches[c.Branch] = cm.sha
	if cm.date.After(r.pushedAt) {
		r.pushedAt = cm.date
	}
	return cm
}

// resolve turns a branch name, a full sha or a unique sha prefix (7+ hex
// digits) into a commit.
func (r *repo) resolve(ref string) *commit {
	if sha, ok := r.branches[ref]; ok {
		return r.commits[sha]
	}
	if c, ok := r.commits[ref]; ok {
		return c
	}
	if len(ref) < 7 {
		return nil
	}
	var found *commit
	for sha, c := range r.commits {
		if strings.HasPrefix(sha, ref) {
			if found != nil {
				return nil
			}
			found = c
		}
	}
	return found
}

// ancestors returns every commit reachable from sha, itself included.
func (r *repo) ancestors(sha string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{sha}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] || r.commits[s] == nil {
			continue
		}
		seen[s] = true
		stack = append(stack, r.commits[s].parents...)
	}
	return seen
}
