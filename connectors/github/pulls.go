package github

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/goalpost/goalpost/pipeline/event"
)

// timeCursor is a position in a listing sorted by a timestamp: the newest
// time read and the ids read at exactly that time (GitHub times have
// one-second resolution, so two items, or two states of one item, can share
// one).
type timeCursor struct {
	T   time.Time `json:"t"`
	IDs []string  `json:"ids,omitempty"`
	// Init is set once a poll has read the listing: an empty listing leaves
	// T zero, and the next poll must still read every new item.
	Init bool `json:"init"`
}

// seen reports whether the item (id, t) was read before.
func (c timeCursor) seen(t time.Time, id string) bool {
	return t.Before(c.T) || t.Equal(c.T) && slices.Contains(c.IDs, id)
}

func (c *timeCursor) advance(t time.Time, id string) {
	switch {
	case t.After(c.T):
		c.T, c.IDs = t, []string{id}
	case t.Equal(c.T) && !slices.Contains(c.IDs, id):
		c.IDs = append(c.IDs, id)
	}
}

// loadJSON reads the JSON cursor at key into v (left as is when unset).
func (s *Source) loadJSON(ctx context.Context, key string, v any) error {
	raw, err := s.cursors.Cursor(ctx, event.SourceGitHub, key)
	if err != nil || raw == "" {
		return err
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		s.log.Warn("cursor unreadable; starting over", "key", key, "err", err)
	}
	return nil
}

func (s *Source) saveJSON(ctx context.Context, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode cursor %s: %w", key, err)
	}
	return s.cursors.SetCursor(ctx, event.SourceGitHub, key, string(raw))
}

// pollPulls reads pull requests most recently updated first and stops at the
// cursor. With no cursor it reads back to since (the backfill start or the
// configured since) or, without one, only the newest page. It publishes the
// opened/merged/closed facts (and change.shipped for ship_on_merge repos),
// one page at a time, and advances the cursor after the last page.
func (s *Source) pollPulls(ctx context.Context, t target, m pollMode) error {
	key := "pulls:" + t.FullName
	var cur timeCursor
	if err := s.loadJSON(ctx, key, &cur); err != nil {
		return err
	}
	floor, onePage := cur.T, false
	if m.backfill || !cur.Init {
		floor, onePage = m.since, m.since.IsZero()
	}
	owner, name, _ := strings.Cut(t.FullName, "/")
	opt := &gh.PullRequestListOptions{State: "all", Sort: "updated", Direction: "desc", ListOptions: gh.ListOptions{PerPage: 100}}
	next := cur
	next.Init = true
	for {
		prs, resp, err := s.api.PullRequests.List(ctx, owner, name, opt)
		if err != nil {
			return fmt.Errorf("list pull requests: %w", err)
		}
		var evs []event.Event
		done := onePage
		for _, pr := range prs {
			up, id := pr.GetUpdatedAt().Time, pullCursorID(pr)
			if up.Before(floor) {
				done = true
				break
			}
			next.advance(up, id)
			if !m.backfill && cur.seen(up, id) {
				continue
			}
			p := newPRInfo(t.FullName, pr)
			s.att.Remember(p.change())
			evs = append(evs, s.prEvents(p, t, m)...)
		}
		if err := s.publish(ctx, evs); err != nil {
			return err
		}
		if done || resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if next.Init == cur.Init && next.T.Equal(cur.T) && slices.Equal(next.IDs, cur.IDs) {
		return nil
	}
	return s.saveJSON(ctx, key, next)
}

// pullCursorID names a PR in the cursor together with its state, so that a
// PR merged or closed within the second the cursor was taken at (its
// updated_at unchanged) is not mistaken for one already read.
func pullCursorID(pr *gh.PullRequest) string {
	id := strconv.Itoa(pr.GetNumber())
	switch {
	case pr.MergedAt != nil:
		return id + ":merged"
	case pr.ClosedAt != nil:
		return id + ":closed"
	}
	return id
}

// prEvents are a PR's facts, minus those before a backfill's start.
func (s *Source) prEvents(p prInfo, t target, m pollMode) []event.Event {
	evs := p.facts()
	if t.settings.ShipOnMerge && p.merged() && p.Base == t.DefaultBranch {
		evs = append(evs, p.change().ShippedOnMerge(t.settings.primaryEnvironment()))
	}
	if m.backfill {
		evs = slices.DeleteFunc(evs, func(e event.Event) bool { return e.OccurredAt.Before(m.since) })
	}
	return evs
}

// releaseCursor remembers the newest release read and the published ones.
type releaseCursor struct {
	T         time.Time `json:"t"`
	Published []int64   `json:"published,omitempty"`
	Init      bool      `json:"init"`
}

const releaseMemory = 200

// pollReleases reads releases newest first down to the cursor (a whole first
// page at least, so a draft published later is seen) and publishes
// release.published for each published release not published before.
func (s *Source) pollReleases(ctx context.Context, t target, m pollMode) error {
	key := "releases:" + t.FullName
	var cur releaseCursor
	if err := s.loadJSON(ctx, key, &cur); err != nil {
		return err
	}
	floor, onePage := cur.T, false
	if m.backfill || !cur.Init {
		floor, onePage = m.since, m.since.IsZero()
	}
	owner, name, _ := strings.Cut(t.FullName, "/")
	opt := &gh.ListOptions{PerPage: 100}
	var evs []event.Event
	next := cur
	next.Init = true
	for {
		rels, resp, err := s.api.Repositories.ListReleases(ctx, owner, name, opt)
		if err != nil {
			return fmt.Errorf("list releases: %w", err)
		}
		done := onePage
		for _, rel := range rels {
			created := rel.GetCreatedAt().Time
			if created.Before(floor) {
				done = true
			}
			next.T = maxTime(next.T, created)
			ev, ok := releaseEvent(t.FullName, rel)
			if !ok || slices.Contains(next.Published, rel.GetID()) || m.backfill && ev.OccurredAt.Before(m.since) {
				continue
			}
			evs = append(evs, ev)
			next.Published = append(next.Published, rel.GetID())
		}
		if done || resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if len(evs) == 0 && next.T.Equal(cur.T) && cur.Init {
		return nil
	}
	if err := s.publish(ctx, evs); err != nil {
		return err
	}
	if n := len(next.Published); n > releaseMemory {
		next.Published = next.Published[n-releaseMemory:]
	}
	return s.saveJSON(ctx, key, next)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
