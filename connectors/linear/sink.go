package linear

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/transport"
)

// Sink writes key results to Linear as project updates and initiative
// updates (targets "linear:project:<id>" and "linear:initiative:<id>"):
// health from the status and a Markdown body (Current X / Target Y, what
// moved this week, evidence links, blockers). Each update has a
// client-supplied id derived from the target, the ISO week and the status,
// so a goal gets at most one update per week unless its status changes, and
// a retried or repeated write is harmless. It is safe for concurrent use.
type Sink struct {
	c   *Client
	log *slog.Logger

	mu   sync.Mutex
	week string          // the ISO week done is about
	done map[string]bool // update ids of that week known to exist
}

// NewSink returns a Sink writing through c (share the Client with the
// Linear source so both spend one rate-limit budget). It does no I/O.
func NewSink(c *Client, log *slog.Logger) *Sink {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sink{c: c, log: log, done: map[string]bool{}}
}

// updateNamespace is the UUID v5 namespace of goalpost's update ids.
var updateNamespace = uuid.MustParse("4f6c8e0a-8d1e-5b7a-9c3e-2a6b1d0f7e95")

// UpdateID is the client-supplied id of the update for target in the ISO
// week of at with status: the same inputs always give the same id.
func UpdateID(target string, at time.Time, status string) string {
	year, week := at.UTC().ISOWeek()
	return uuid.NewSHA1(updateNamespace, fmt.Appendf(nil, "%s|%d-W%02d|%s", target, year, week, status)).String()
}

// Health maps a goalpost status to Linear's update health. Done is on
// track; stale has no health (nothing is written for it).
func Health(status string) (string, bool) {
	switch status {
	case rules.StatusOnTrack, rules.StatusDone:
		return "onTrack", true
	case rules.StatusAtRisk:
		return "atRisk", true
	case rules.StatusOffTrack:
		return "offTrack", true
	}
	return "", false
}

type updateKind struct {
	mutation string // GraphQL document creating the update
	query    string // GraphQL document reading it back by id
	parent   string // input field naming the project / initiative
	field    string // root field of the mutation
}

var updateKinds = map[string]updateKind{
	"project": {
		mutation: `mutation GoalpostProjectUpdate($input: ProjectUpdateCreateInput!) {
  projectUpdateCreate(input: $input) { success projectUpdate { id url } }
}`,
		query:  `query GoalpostProjectUpdateByID($id: String!) { projectUpdate(id: $id) { id } }`,
		parent: "projectId", field: "projectUpdateCreate",
	},
	"initiative": {
		mutation: `mutation GoalpostInitiativeUpdate($input: InitiativeUpdateCreateInput!) {
  initiativeUpdateCreate(input: $input) { success initiativeUpdate { id url } }
}`,
		query:  `query GoalpostInitiativeUpdateByID($id: String!) { initiativeUpdate(id: $id) { id } }`,
		parent: "initiativeId", field: "initiativeUpdateCreate",
	},
}

// parseTarget splits "linear:<kind>:<id>".
func parseSinkTarget(target string) (updateKind, string, error) {
	parts := strings.SplitN(target, ":", 3)
	if len(parts) != 3 || parts[0] != "linear" || parts[2] == "" {
		return updateKind{}, "", sinkPermanent(fmt.Errorf("linear: target %q is not linear:project:<id> or linear:initiative:<id>", target))
	}
	k, ok := updateKinds[parts[1]]
	if !ok {
		return updateKind{}, "", sinkPermanent(fmt.Errorf("linear: target %q: unknown kind %q", target, parts[1]))
	}
	return k, parts[2], nil
}

// Write posts this week's update for r unless it already exists. A stale
// result is skipped: its data could not be refreshed, and an update would
// show old numbers as news. Errors implementing Permanent() bool are bad
// input, authentication or permission problems or an unknown project; the
// rest (rate limits the transport gave up on, 5xx, internal errors,
// network) are worth retrying, after Wait() when set.
func (s *Sink) Write(ctx context.Context, target string, r rules.Result) error {
	k, parent, err := parseSinkTarget(target)
	if err != nil {
		return err
	}
	health, ok := Health(r.Status)
	if !ok {
		if r.Status == rules.StatusStale {
			s.log.Debug("stale key result, no Linear update", "target", target, "kr", r.KRKey)
			return nil
		}
		return sinkPermanent(fmt.Errorf("linear: unknown status %q", r.Status))
	}
	id := UpdateID(target, r.EvaluatedAt, r.Status)
	if s.known(id, r.EvaluatedAt) {
		return nil
	}
	err = s.create(ctx, k, parent, id, health, UpdateBody(r))
	if err != nil && maybeDuplicate(err) && s.exists(ctx, k, id) {
		err = nil // created by an earlier attempt whose answer was lost
	}
	if err != nil {
		return classifySinkErr(err)
	}
	s.mu.Lock()
	s.done[id] = true
	s.mu.Unlock()
	s.log.Debug("linear update written", "target", target, "kr", r.KRKey, "id", id, "health", health)
	return nil
}

// known reports whether the update id was written already; the memory is
// kept for one week at a time.
func (s *Sink) known(id string, at time.Time) bool {
	year, week := at.UTC().ISOWeek()
	key := fmt.Sprintf("%d-W%02d", year, week)
	s.mu.Lock()
	defer s.mu.Unlock()
	if key != s.week {
		s.week, s.done = key, map[string]bool{}
	}
	return s.done[id]
}

func (s *Sink) create(ctx context.Context, k updateKind, parent, id, health, body string) error {
	input := map[string]any{"id": id, k.parent: parent, "body": body, "health": health}
	var out map[string]struct {
		Success bool `json:"success"`
	}
	if err := s.c.Do(ctx, k.mutation, map[string]any{"input": input}, &out); err != nil {
		return err
	}
	if !out[k.field].Success {
		return fmt.Errorf("linear: %s answered success=false", k.field)
	}
	return nil
}

// maybeDuplicate reports whether a failed create may mean "an update with
// this id already exists" (Linear's answer to a duplicate id is not
// documented): any input error, or a lost answer. Authentication,
// permission, rate-limit and server errors are not.
func maybeDuplicate(err error) bool {
	var le *Error
	if !errors.As(err, &le) {
		return true
	}
	switch norm(le.Code) {
	case "AUTHENTICATION_ERROR", "FORBIDDEN":
		return false
	}
	return !le.IsRateLimited() && le.Status < 500 && le.IsPermanent()
}

// exists reports whether the update with id is already in Linear (false on
// any error: then the create's own error stands).
func (s *Sink) exists(ctx context.Context, k updateKind, id string) bool {
	var out map[string]*struct {
		ID string `json:"id"`
	}
	if err := s.c.Do(ctx, k.query, map[string]any{"id": id}, &out); err != nil {
		return false
	}
	for _, v := range out {
		if v != nil && strings.EqualFold(v.ID, id) {
			return true
		}
	}
	return false
}

// Describe says what Write would send for r, without sending anything.
func (s *Sink) Describe(target string, r rules.Result) (string, error) {
	k, parent, err := parseSinkTarget(target)
	if err != nil {
		return "", err
	}
	health, ok := Health(r.Status)
	switch {
	case !ok && r.Status == rules.StatusStale:
		return "skip: stale key results get no Linear update", nil
	case !ok:
		return "", fmt.Errorf("linear: unknown status %q", r.Status)
	}
	return fmt.Sprintf("%s %s=%s id=%s health=%s body=%q", k.field, k.parent, parent,
		UpdateID(target, r.EvaluatedAt, r.Status), health, updFirstLine(UpdateBody(r))), nil
}

func updFirstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Fingerprint identifies the sink's configuration (endpoint and key, the
// key only through a hash) so parked writes are retried when it changes.
func (s *Sink) Fingerprint() string {
	key := sha256.Sum256([]byte(s.c.key.Reveal()))
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%x", s.c.endpoint, key))
	return hex.EncodeToString(sum[:8])
}

// sinkError classifies a Linear failure for the outbox.
type sinkError struct {
	err       error
	permanent bool
	wait      time.Duration
}

func (e *sinkError) Error() string       { return e.err.Error() }
func (e *sinkError) Unwrap() error       { return e.err }
func (e *sinkError) Permanent() bool     { return e.permanent }
func (e *sinkError) Wait() time.Duration { return e.wait }

func sinkPermanent(err error) error { return &sinkError{err: err, permanent: true} }

// classify marks *Error answers permanent or retryable (with Linear's
// requested wait) and a rate limit longer than the transport would wait as
// retryable after that wait. Anything else (network, decoding) is retryable.
func classifySinkErr(err error) error {
	var le *Error
	var tl *transport.WaitTooLongError
	switch {
	case errors.As(err, &le):
		return &sinkError{err: err, permanent: le.IsPermanent(), wait: le.RetryAfter}
	case errors.As(err, &tl):
		return &sinkError{err: err, wait: tl.Wait}
	}
	return &sinkError{err: err}
}
