package jira

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/pipeline/event"
)

// Option configures a Source.
type Option func(*options)

type options struct {
	base      http.RoundTripper
	transport transport.Options
	timeout   time.Duration
	now       func() time.Time
}

// WithBaseTransport sets the round tripper under the retrying transport.
func WithBaseTransport(rt http.RoundTripper) Option { return func(o *options) { o.base = rt } }

// WithTransportOptions sets the retry options (attempts, waits, limiter,
// sleep); a nil Classify gets the Jira classifier.
func WithTransportOptions(t transport.Options) Option { return func(o *options) { o.transport = t } }

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// metaTTL is how long the user's time zone and the status list are reused.
const metaTTL = time.Hour

// Source polls Jira for issues updated since its cursor and publishes their
// events. Run owns the poll loop; PollOnce may also be called directly (polls
// never overlap).
type Source struct {
	connector.Health // LastError: the last poll's outcome

	cfg     Config
	pub     connector.Publisher
	cursors connector.CursorStore
	log     *slog.Logger
	api     *api
	now     func() time.Time
	key     string

	pollMu sync.Mutex // one poll at a time

	mu       sync.Mutex
	tz       *time.Location
	statuses map[string]string
	flag     string // the Flagged field's id, resolved with the meta
	metaAt   time.Time
}

// NewSource returns a poller for cfg. It does no I/O.
func NewSource(cfg *Config, pub connector.Publisher, cursors connector.CursorStore, log *slog.Logger, opts ...Option) (*Source, error) {
	if err := connector.CheckSource("jira", cfg, pub, cursors, log); err != nil {
		return nil, err
	}
	o := options{timeout: 2 * time.Minute, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.transport.Now == nil {
		o.transport.Now = o.now
	}
	c := cfg.withDefaults()
	a, err := newAPI(&c, &o)
	if err != nil {
		return nil, err
	}
	s := &Source{cfg: c, pub: pub, cursors: cursors, log: log, api: a, now: o.now}
	s.key = cursorKey(&s.cfg)
	return s, nil
}

// cursorKey names the cursor after the search scope, so that changing the
// projects or the JQL starts a fresh backfill.
func cursorKey(c *Config) string {
	sum := sha256.Sum256([]byte(c.Deployment + "\x00" + c.BaseURL + "\x00" + scopeJQL(c)))
	return "issues:" + hex.EncodeToString(sum[:6])
}

// Run polls now and then every poll_interval until ctx ends. A failed poll
// is logged and retried at the next tick (LastError reports it); Run
// returns nil when ctx is cancelled.
func (s *Source) Run(ctx context.Context) error {
	return connector.Run(ctx, "jira", s.cfg.PollInterval.Duration, s.PollOnce, s.log)
}

// StatusCategory returns the category of a status id from the last status
// list read (for the webhook; see WithStatusCategories).
func (s *Source) StatusCategory(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.statuses[id]
	return c, ok
}

// PollOnce reads every issue updated since the cursor (minus the overlap),
// publishes its events and then advances the cursor, page by page. It
// blocks until done; errors leave the cursor where the last stored page put
// it, so the next poll retries.
func (s *Source) PollOnce(ctx context.Context) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	err := s.poll(ctx, time.Time{}, nil)
	s.Health.Set(err)
	return err
}

// Backfill implements connector.Backfiller: one poll that reads every
// issue updated since since, whatever the cursor says; the cursor only
// moves forward.
func (s *Source) Backfill(ctx context.Context, since time.Time, progress *connector.Progress) error {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	err := s.poll(ctx, since, progress)
	s.Health.Set(err)
	progress.Done(err)
	return err
}

// poll reads from the cursor, or from since when it is set (a backfill).
func (s *Source) poll(ctx context.Context, since time.Time, progress *connector.Progress) error {
	tz, cats, err := s.meta(ctx)
	if err != nil {
		return err
	}
	m := s.mapper()
	cursor, err := s.loadCursor(ctx)
	if err != nil {
		return err
	}
	start := cursor
	if !since.IsZero() {
		start = since
	}
	from := jqlMinute(start.Add(-s.cfg.Overlap.Duration), tz)
	jql := s.searchJQL(from, tz)
	fields := requestFields(&s.cfg, m.flag)
	var token string
	for {
		page, next, err := s.api.search(ctx, jql, fields, s.cfg.PageSize, token)
		if err != nil {
			return fmt.Errorf("jira search: %w", err)
		}
		evs, newest, err := s.pageEvents(ctx, m, page.Issues, from, cats)
		if err != nil {
			return err
		}
		progress.Add(len(page.Issues))
		if len(evs) > 0 {
			if err := s.pub.Publish(ctx, evs...); err != nil {
				return fmt.Errorf("jira publish: %w", err)
			}
		}
		if newest.After(cursor) {
			cursor = newest
			if err := s.cursors.SetCursor(ctx, event.SourceJira, s.key, cursor.UTC().Format(time.RFC3339Nano)); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

func (s *Source) loadCursor(ctx context.Context) (time.Time, error) {
	v, err := s.cursors.Cursor(ctx, event.SourceJira, s.key)
	if err != nil {
		return time.Time{}, fmt.Errorf("jira cursor: %w", err)
	}
	if v == "" {
		if since := s.cfg.since(); !since.IsZero() {
			return since, nil
		}
		return s.now().Add(-s.cfg.Backfill.Duration), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("jira cursor %q: %w", v, err)
	}
	return t, nil
}

// FlagField is the Flagged field's id the last poll resolved ("" before
// the first poll, when disabled or when the site has none).
func (s *Source) FlagField() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flag
}

func (s *Source) mapper() mapper { return mapper{cfg: &s.cfg, flag: s.FlagField()} }

// meta returns the API user's time zone and the status categories, and
// resolves the Flagged field, at most once per metaTTL.
func (s *Source) meta(ctx context.Context) (*time.Location, map[string]string, error) {
	s.mu.Lock()
	tz, cats, at := s.tz, s.statuses, s.metaAt
	s.mu.Unlock()
	if tz != nil && s.now().Sub(at) < metaTTL {
		return tz, cats, nil
	}
	tz, err := s.api.timeZone(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("jira time zone: %w", err)
	}
	cats, err = s.api.statusCategories(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("jira statuses: %w", err)
	}
	flag, err := s.flagField(ctx)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	s.tz, s.statuses, s.flag, s.metaAt = tz, cats, flag, s.now()
	s.mu.Unlock()
	return tz, cats, nil
}

// flagField resolves blocked.flag_field against the site's fields (see
// resolveFlagField); a site without a Flagged field is logged once per
// resolution, with the fix.
func (s *Source) flagField(ctx context.Context) (string, error) {
	fields, err := s.api.fields(ctx)
	if err != nil {
		return "", fmt.Errorf("jira fields: %w", err)
	}
	id, found, err := resolveFlagField(s.cfg.Blocked.FlagField, fields)
	if err != nil {
		return "", err
	}
	if !found {
		s.log.Warn(`jira: no field named "Flagged": flagged issues cannot count as blocked`,
			"fix", `set [jira.blocked] flag_field to the flag field's id, or "-" to turn this check off`)
	}
	return id, nil
}

// pageEvents turns one page of issues into events no older than from, and
// returns the newest "updated" seen. Changelogs the search truncated are
// read in full first.
func (s *Source) pageEvents(ctx context.Context, m mapper, issues []apiIssue, from time.Time, cats map[string]string) ([]event.Event, time.Time, error) {
	var out []event.Event
	var newest time.Time
	cat := func(id string) (string, bool) { c, ok := cats[id]; return c, ok }
	for i := range issues {
		is := &issues[i]
		if is.ID == "" || is.Key == "" {
			continue
		}
		var hs []apiHistory
		if is.Changelog != nil {
			hs = is.Changelog.Histories
		}
		if !is.completeChangelog && (is.Changelog == nil || is.Changelog.truncated()) {
			full, err := s.api.changelog(ctx, is.Key)
			if err != nil {
				return nil, newest, fmt.Errorf("jira changelog %s: %w", is.Key, err)
			}
			hs = full
		}
		st := m.state(is)
		for _, ev := range m.events(st, hs, cat, hints{}) {
			if !ev.OccurredAt.Before(from) {
				out = append(out, ev)
			}
		}
		if st.Updated.After(newest) {
			newest = st.Updated
		}
	}
	return out, newest, nil
}

// scopeJQL is the configured restriction: the projects, ANDed with jql.
func scopeJQL(c *Config) string {
	var parts []string
	if len(c.Projects) > 0 {
		q := make([]string, len(c.Projects))
		for i, p := range c.Projects {
			q[i] = `"` + p + `"`
		}
		parts = append(parts, "project in ("+strings.Join(q, ", ")+")")
	}
	if j := strings.TrimSpace(c.JQL); j != "" {
		parts = append(parts, "("+j+")")
	}
	return strings.Join(parts, " AND ")
}

// jqlLayout is the JQL date literal format: minutes, no seconds.
const jqlLayout = "2006/01/02 15:04"

// jqlMinute is t truncated to the start of its minute in tz: JQL compares
// at minute precision in the searching user's zone, so everything updated
// in the cursor's minute is read again rather than missed.
func jqlMinute(t time.Time, tz *time.Location) time.Time {
	l := t.In(tz)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), 0, 0, tz)
}

func (s *Source) searchJQL(from time.Time, tz *time.Location) string {
	return fmt.Sprintf(`(%s) AND updated >= "%s" ORDER BY updated ASC, key ASC`, scopeJQL(&s.cfg), from.In(tz).Format(jqlLayout))
}
