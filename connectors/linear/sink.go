package linear

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// Sink writes key results to Linear as project updates and initiative
// updates (targets outbox.LinearProject and outbox.LinearInitiative):
// health from the status and a Markdown body (Current X / Target Y, what
// moved this week, evidence links, blockers).
//
// A goal gets at most one update per ISO week unless its status changes.
// Before posting, Write reads the latest update of the project or
// initiative (one query) and posts only when there is none, it is from an
// earlier week, its health differs, or its body names another status
// (on track and done share a health). The new update's client-supplied id
// is derived from the target, the week, the status and the id of the update
// it follows, so every status change gets a new id (on track, at risk, on
// track again are three updates), while a retry of the same write (a lost
// answer, a crash before the outbox recorded it, a restart, a second
// sender) either finds its update already latest or collides with its id
// and is counted as written. The Sink keeps no state between writes.
//
// Requests per Write: 0 for a stale result; 1 (the read) when the latest
// update already shows the status; 2 (read and create) to post; a lost
// answer retried by the transport adds the repeated create and one read
// back by id. The read asks for two tiny selections, a few complexity
// points.
//
// It is safe for concurrent use.
type Sink struct {
	c   *Client
	log *slog.Logger
}

// NewSink returns a Sink writing through c (share the Client with the
// Linear source so both spend one rate-limit budget). It does no I/O.
func NewSink(c *Client, log *slog.Logger) *Sink {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sink{c: c, log: log}
}

// updateNamespace is the namespace hashed into goalpost's update ids.
var updateNamespace = uuid.MustParse("4f6c8e0a-8d1e-5b7a-9c3e-2a6b1d0f7e95")

// UpdateID is the client-supplied id of the update for target in the ISO
// week of at with status, following the update with id after ("" when the
// target has none): the same inputs always give the same id. Linear
// documents the input id as a UUID v4, so the name-based hash (as in v5)
// is laid out as a v4: version nibble 4, RFC 4122 variant.
func UpdateID(target outbox.Target, at time.Time, status, after string) string {
	week := calendar.UTC.WeekOf(at)
	u := uuid.NewSHA1(updateNamespace, fmt.Appendf(nil, "%s|%s|%s|after:%s", target, week, status, strings.ToLower(after)))
	u[6] = u[6]&0x0f | 0x40
	return u.String()
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
	latest   string // GraphQL document reading the parent's latest update
	root     string // root field of latest
	parent   string // input field naming the project / initiative
	field    string // root field of the mutation
}

// The latest update is read twice in one query: Linear documents that
// connections are ordered by createdAt but not the direction, so lastUpdate
// is asked for too and the newer of the two is used.
var updateKinds = map[string]updateKind{
	"project": {
		mutation: `mutation GoalpostProjectUpdate($input: ProjectUpdateCreateInput!) {
  projectUpdateCreate(input: $input) { success projectUpdate { id url } }
}`,
		query: `query GoalpostProjectUpdateByID($id: String!) { projectUpdate(id: $id) { id } }`,
		latest: `query GoalpostProjectLatestUpdate($id: String!) {
  project(id: $id) {
    lastUpdate { id health createdAt body }
    projectUpdates(first: 1, orderBy: createdAt) { nodes { id health createdAt body } }
  }
}`,
		root: "project", parent: "projectId", field: "projectUpdateCreate",
	},
	"initiative": {
		mutation: `mutation GoalpostInitiativeUpdate($input: InitiativeUpdateCreateInput!) {
  initiativeUpdateCreate(input: $input) { success initiativeUpdate { id url } }
}`,
		query: `query GoalpostInitiativeUpdateByID($id: String!) { initiativeUpdate(id: $id) { id } }`,
		latest: `query GoalpostInitiativeLatestUpdate($id: String!) {
  initiative(id: $id) {
    lastUpdate { id health createdAt body }
    initiativeUpdates(first: 1, orderBy: createdAt) { nodes { id health createdAt body } }
  }
}`,
		root: "initiative", parent: "initiativeId", field: "initiativeUpdateCreate",
	},
}

// sinkTarget returns the update kind and the parent id of a Linear target.
func sinkTarget(target outbox.Target) (updateKind, string, error) {
	if target.Service != outbox.ServiceLinear || target.ID == "" {
		return updateKind{}, "", sinkPermanent(fmt.Errorf("linear: target %s is not a Linear project or initiative", target))
	}
	k, ok := updateKinds[target.Kind]
	if !ok {
		return updateKind{}, "", sinkPermanent(fmt.Errorf("linear: target %s: unknown kind %q", target, target.Kind))
	}
	return k, target.ID, nil
}

// Write posts an update for r unless the latest update of the target
// already shows r's status this week. A stale result is skipped: its data
// could not be refreshed, and an update would show old numbers as news.
// Errors implementing Permanent() bool are bad input, authentication or
// permission problems or an unknown project; the rest (rate limits the
// transport gave up on, 5xx, internal errors, network) are worth retrying,
// after Wait() when set.
func (s *Sink) Write(ctx context.Context, target outbox.Target, r outbox.Update) error {
	k, parent, err := sinkTarget(target)
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
	last, err := s.latest(ctx, k, parent)
	if err != nil {
		return classifySinkErr(err)
	}
	if last.shows(r, health) {
		s.log.Debug("linear update already shows the status", "target", target, "kr", r.KRKey, "id", last.ID, "health", health)
		return nil
	}
	id := UpdateID(target, r.EvaluatedAt, r.Status, last.id())
	err = s.create(ctx, k, parent, id, health, UpdateBody(r))
	if err != nil && maybeDuplicate(err) && s.exists(ctx, k, id) {
		err = nil // created by an earlier attempt whose answer was lost
	}
	if err != nil {
		return classifySinkErr(err)
	}
	s.log.Debug("linear update written", "target", target, "kr", r.KRKey, "id", id, "health", health)
	return nil
}

// postedUpdate is an update as read from Linear.
type postedUpdate struct {
	ID        string    `json:"id"`
	Health    string    `json:"health"`
	CreatedAt time.Time `json:"createdAt"`
	Body      string    `json:"body"`
}

func (u *postedUpdate) id() string {
	if u == nil {
		return ""
	}
	return u.ID
}

// shows reports whether u (the latest update; nil for none) already says
// what an update for r would: the same health, posted in r's ISO week or
// later, and the same status when its body is one goalpost wrote.
func (u *postedUpdate) shows(r outbox.Update, health string) bool {
	if u == nil || u.Health != health || u.CreatedAt.Before(calendar.UTC.WeekContaining(r.EvaluatedAt).Start) {
		return false
	}
	status, ok := bodyStatus(u.Body)
	return !ok || status == r.Status
}

// latestAnswer is the data of a kind's latest query.
type latestAnswer struct {
	LastUpdate        *postedUpdate `json:"lastUpdate"`
	ProjectUpdates    updateNodes   `json:"projectUpdates"`
	InitiativeUpdates updateNodes   `json:"initiativeUpdates"`
}

type updateNodes struct {
	Nodes []postedUpdate `json:"nodes"`
}

// latest reads the newest update of the project or initiative (nil when it
// has none).
func (s *Sink) latest(ctx context.Context, k updateKind, parent string) (*postedUpdate, error) {
	var out map[string]*latestAnswer
	if err := s.c.Do(ctx, k.latest, map[string]any{"id": parent}, &out); err != nil {
		return nil, err
	}
	a := out[k.root]
	if a == nil {
		return nil, fmt.Errorf("linear: %s answered no %s", k.root, k.root)
	}
	newest := a.LastUpdate
	for _, u := range slices.Concat(a.ProjectUpdates.Nodes, a.InitiativeUpdates.Nodes) {
		if newest == nil || u.CreatedAt.After(newest.CreatedAt) {
			newest = &u
		}
	}
	return newest, nil
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
func (s *Sink) Describe(target outbox.Target, r outbox.Update) (string, error) {
	k, parent, err := sinkTarget(target)
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
	return fmt.Sprintf("%s %s=%s health=%s body=%q unless the latest update shows %s this week", k.field, k.parent, parent,
		health, updFirstLine(UpdateBody(r)), present.Status(r.Status)), nil
}

func updFirstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Fingerprint identifies the sink's configuration (endpoint and key, the
// key only through a hash) so parked writes are retried when it changes.
func (s *Sink) Fingerprint() string {
	return outbox.Fingerprint(s.c.endpoint, s.c.key.Reveal())
}

func sinkPermanent(err error) error { return outbox.Permanent(err) }

// classify marks *Error answers permanent or retryable (with Linear's
// requested wait) and a rate limit longer than the transport would wait as
// retryable after that wait. Anything else (network, decoding) is retryable.
func classifySinkErr(err error) error {
	var le *Error
	var tl *transport.WaitTooLongError
	switch {
	case errors.As(err, &le):
		return &outbox.SendError{Err: err, Perm: le.IsPermanent(), After: le.RetryAfter}
	case errors.As(err, &tl):
		return &outbox.SendError{Err: err, After: tl.Wait}
	}
	return &outbox.SendError{Err: err}
}
