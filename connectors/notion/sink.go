package notion

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// Sink writes key results to their Notion pages: the Current, Target,
// Progress, Status, Last synced and Evidence properties (names
// configurable), and a weekly check-in callout updated in place. It is the
// writeback sink for Notion page targets (outbox.NotionPage). It is safe for
// concurrent use; writes to one page should be serialized by the caller
// (the outbox sends one write per target at a time).
type Sink struct {
	c      *Client
	cfg    Config
	props  map[string]string // config key → property name ("-" off)
	status map[string]string // goalpost status → option name
	log    *slog.Logger
	now    func() time.Time

	mu       sync.Mutex
	schemas  map[string]pageSchema // by page id
	sources  map[string]pageSchema // data source id → its schema (options)
	checkins map[string]string     // page id → check-in block id
	missing  map[string]bool       // "page|option" already logged as missing
}

// pageSchema is what a page's writes need to know: each property's type
// and, for status and select properties of a database row, the options
// its data source has (nil when unknown).
type pageSchema struct {
	types   map[string]string
	options map[string][]string
	// percent are the number properties formatted as a percent, which
	// Notion shows ×100: a percentage is written to them as a fraction.
	percent map[string]bool
	// targetSet says the page's Target held a number when it was read: a
	// target is the team's, so goalpost writes it only to a page without one.
	targetSet bool
	// source is the page's data source ("" for a page outside a database),
	// and edited its last_edited_time when read: what ReadNotes asks about.
	source string
	edited time.Time
}

// NewSink returns a Sink for cfg (see NewClient for hc and opts). It does
// no I/O.
func NewSink(cfg *Config, hc *http.Client, log *slog.Logger, opts ...Option) (*Sink, error) {
	c, err := NewClient(cfg, hc, log, opts...)
	if err != nil {
		return nil, err
	}
	return &Sink{
		c: c, cfg: *cfg, props: cfg.propertyNames(), status: cfg.statusNames(), log: c.log, now: c.now,
		schemas: map[string]pageSchema{}, sources: map[string]pageSchema{}, checkins: map[string]string{}, missing: map[string]bool{},
	}, nil
}

// Client returns the sink's client, to share its rate limit (LoadGoals).
func (s *Sink) Client() *Client { return s.c }

// permanent is an error retrying cannot fix (outbox.Permanent); the outbox
// parks the write with its message as the reason.
func permanent(format string, args ...any) error {
	return outbox.Permanent(fmt.Errorf(format, args...))
}

// idPattern finds a Notion id at the end of an id or a page URL.
var idPattern = regexp.MustCompile(`([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})(?:[?#].*)?$`)

// PageID returns the page id of a Notion page target; the id may be a page
// URL as copied from Notion.
func PageID(target outbox.Target) (string, error) {
	if target.Service != outbox.ServiceNotion || target.Kind != outbox.NotionPage("").Kind {
		return "", permanent("notion: target %s is not a Notion page", target)
	}
	m := idPattern.FindStringSubmatch(target.ID)
	if m == nil {
		return "", permanent("notion: target %s: no page id", target)
	}
	return ParseID(m[1])
}

// Write sets the key result's properties on its page and updates the
// page's check-in. It is idempotent. Errors implementing Permanent() bool
// (a bad target, a missing or trashed page, a missing property, 400, 401,
// 403, 404) will fail again until something changes; others (rate limits
// the transport gave up on, 5xx, network) are worth retrying later. It never
// restores a trashed page.
func (s *Sink) Write(ctx context.Context, target outbox.Target, r outbox.Update) error {
	id, err := PageID(target)
	if err != nil {
		return err
	}
	schema, err := s.schema(ctx, id)
	if err != nil {
		return err
	}
	props, err := s.properties(id, schema, r)
	if err != nil {
		return err
	}
	if len(props) > 0 {
		if err := s.c.updateProperties(ctx, id, props); err != nil {
			return s.fail(id, err)
		}
	}
	if s.cfg.checkin() == CheckinCallout && r.Status != rules.StatusStale {
		if err := s.writeCheckin(ctx, id, r); err != nil {
			return s.fail(id, err)
		}
	}
	s.log.Debug("notion page updated", "page", id, "kr", r.KRKey, "properties", len(props))
	return nil
}

// fail forgets what is cached about a page after an error, and names a
// trashed page plainly.
func (s *Sink) fail(id string, err error) error {
	s.mu.Lock()
	delete(s.schemas, id)
	delete(s.checkins, id)
	s.mu.Unlock()
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == "validation_error" && strings.Contains(ae.Message, "archived") {
		return permanent("notion: page %s is in the trash; restore it in Notion or remove it from the key result: %w", id, err)
	}
	return err
}

// schema returns the page's property types and its data source's status
// and select options, reading the page (Notion-Version 2025-09-03, whose
// parent names the data source) once per process and each data source's
// schema once. A trashed page is a permanent error and is not cached.
func (s *Sink) schema(ctx context.Context, id string) (pageSchema, error) {
	s.mu.Lock()
	sch, ok := s.schemas[id]
	s.mu.Unlock()
	if ok {
		return sch, nil
	}
	p, err := s.c.getPageWithParent(ctx, id)
	if err != nil {
		return pageSchema{}, err
	}
	if p.trashed() {
		return pageSchema{}, permanent("notion: page %s is in the trash; restore it in Notion or remove it from the key result", id)
	}
	sch = pageSchema{types: make(map[string]string, len(p.Properties)), source: p.Parent.DataSourceID, edited: p.LastEditedTime}
	for name, prop := range p.Properties {
		sch.types[name] = prop.Type
	}
	if t, ok := p.Properties[s.props["target"]]; ok && t.Number != nil {
		sch.targetSet = true
	}
	if ds := p.Parent.DataSourceID; ds != "" {
		src, err := s.sourceSchema(ctx, ds)
		if err != nil {
			return pageSchema{}, err
		}
		sch.options, sch.percent = src.options, src.percent
	}
	s.mu.Lock()
	s.schemas[id] = sch
	s.mu.Unlock()
	return sch, nil
}

// sourceSchema reads a data source's schema once per process.
func (s *Sink) sourceSchema(ctx context.Context, id string) (pageSchema, error) {
	s.mu.Lock()
	sch, ok := s.sources[id]
	s.mu.Unlock()
	if ok {
		return sch, nil
	}
	ds, err := s.c.getDataSource(ctx, id)
	if err != nil {
		return pageSchema{}, fmt.Errorf("notion: data source %s: %w", id, err)
	}
	sch = pageSchema{types: map[string]string{}, options: map[string][]string{}, percent: map[string]bool{}}
	for name, prop := range ds.Properties {
		sch.types[name] = prop.Type
		if prop.Type == "status" || prop.Type == "select" {
			sch.options[name] = prop.options()
		}
		if prop.Type == "number" && prop.Number != nil && prop.Number.Format == "percent" {
			sch.percent[name] = true
		}
	}
	s.mu.Lock()
	s.sources[id] = sch
	s.mu.Unlock()
	return sch, nil
}

// wantTypes are the property types each written property may have.
var wantTypes = map[string][]string{
	"current": {"number"}, "target": {"number"}, "progress": {"number"},
	"status": {"status", "select"}, "last_synced": {"date"}, "evidence": {"rich_text"},
}

// properties builds the PATCH properties for r. A stale result only updates
// Status: its numbers could not be refreshed and must not be shown as news.
// The status name is matched case-insensitively onto the property's
// existing options; a status property without a matching option (Notion
// cannot create status options through the API) is logged once per page
// and option, naming what is missing, and left out while the other
// properties are written.
func (s *Sink) properties(page string, schema pageSchema, r outbox.Update) (map[string]any, error) {
	vals, err := s.values(r)
	if err != nil {
		return nil, err
	}
	if schema.targetSet {
		delete(vals, "target") // never rewrite a target someone set (a Target 1 on a percent-formatted property is 100%)
	}
	followFormat(vals, schema, s.props, r)
	out := map[string]any{}
	var problems []string
	for key, val := range vals {
		name := s.props[key]
		typ, ok := schema.types[name]
		if ok && key == "status" {
			opt, found := matchOption(val.(string), schema.options[name])
			if !found && typ == "status" {
				s.missingOption(page, name, opt, schema.options[name])
				continue
			}
			val = opt
		}
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("no property %q (set [notion.properties] %s = \"-\" to skip it)", name, key))
		case !slices.Contains(wantTypes[key], typ):
			problems = append(problems, fmt.Sprintf("property %q is a %s, want %s", name, typ, strings.Join(wantTypes[key], " or ")))
		case key == "status":
			out[name] = map[string]any{typ: map[string]any{"name": val}}
		default:
			out[name] = val
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, permanent("notion: page does not match the config: %s", strings.Join(problems, "; "))
	}
	return out, nil
}

// followFormat writes a percentage (a value whose unit is "%": a ratio, a
// change failure rate) as a fraction to a number property formatted as a
// percent, which Notion shows ×100: 80 % goes in as 0.8 (ADR 45).
func followFormat(vals map[string]any, schema pageSchema, props map[string]string, r outbox.Update) {
	if r.Unit != "%" {
		return
	}
	for key, v := range map[string]float64{"current": r.Current, "target": r.Target} {
		if _, ok := vals[key]; ok && schema.percent[props[key]] {
			vals[key] = number(v/100, key == "current" && r.NoData)
		}
	}
}

// values returns the value of each enabled property by config key (the
// status as its option name).
func (s *Sink) values(r outbox.Update) (map[string]any, error) {
	name, ok := s.status[r.Status]
	if !ok {
		return nil, permanent("notion: unknown status %q", r.Status)
	}
	vals := map[string]any{"status": name}
	if r.Status != rules.StatusStale {
		vals["current"] = number(r.Current, r.NoData)
		vals["target"] = number(r.Target, false)
		vals["progress"] = number(r.Progress, r.NoData)
		vals["evidence"] = map[string]any{"rich_text": evidenceText(r, s.cfg.evidenceLimit())}
		if !r.EvaluatedAt.IsZero() {
			vals["last_synced"] = map[string]any{"date": map[string]any{"start": r.EvaluatedAt.UTC().Format(time.RFC3339)}}
		}
	}
	if s.cfg.Goals.DatabaseID != "" {
		// Targets are edited in Notion when goals come from it: never overwrite them.
		delete(vals, "target")
	}
	for key := range vals {
		if s.props[key] == Disabled {
			delete(vals, key)
		}
	}
	return vals, nil
}

// Describe says what Write would send for r, without sending anything (for
// dry runs).
func (s *Sink) Describe(target outbox.Target, r outbox.Update) (string, error) {
	id, err := PageID(target)
	if err != nil {
		return "", err
	}
	vals, err := s.values(r)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, key := range []string{"current", "target", "progress", "status", "last_synced", "evidence"} {
		if v, ok := vals[key]; ok {
			parts = append(parts, fmt.Sprintf("%s=%s", s.props[key], describeValue(key, v, r)))
		}
	}
	out := fmt.Sprintf("PATCH /v1/pages/%s %s", id, strings.Join(parts, " "))
	if s.cfg.checkin() == CheckinCallout && r.Status != rules.StatusStale {
		out += "; update the weekly check-in callout"
	}
	return out, nil
}

func describeValue(key string, v any, r outbox.Update) string {
	switch key {
	case "current":
		if r.NoData {
			return "null"
		}
		return present.Value(r.Current, r.Unit)
	case "target":
		return present.Value(r.Target, r.Unit)
	case "progress":
		return present.Percent(r.Progress)
	case "status":
		return fmt.Sprintf("%q", v)
	case "last_synced":
		return r.EvaluatedAt.UTC().Format(time.RFC3339)
	}
	if r.NoData {
		return `"No data yet."`
	}
	return fmt.Sprintf("%q", present.Count(max(r.EvidenceTotal, len(r.Evidence)), "item")+" with links")
}

// Fingerprint identifies the configuration writes depend on (base URL,
// token, property and status names, check-in mode), so the outbox can retry
// parked writes when it changes. The token enters only through a hash.
func (s *Sink) Fingerprint() string {
	h := sha256.New()
	tok := sha256.Sum256([]byte(s.cfg.Token.Reveal()))
	fmt.Fprintf(h, "%s|%x|%v|%v|%s|%s", s.cfg.baseURL(), tok, sortedPairs(s.props), sortedPairs(s.status),
		s.cfg.checkin(), s.cfg.Goals.DatabaseID)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func sortedPairs(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// matchOption returns the existing option whose name equals want ignoring
// case, or want itself with found false. Unknown options (nil) match
// anything as is.
func matchOption(want string, options []string) (string, bool) {
	if options == nil {
		return want, true
	}
	for _, o := range options {
		if strings.EqualFold(strings.TrimSpace(o), strings.TrimSpace(want)) {
			return o, true
		}
	}
	return want, false
}

// missingOption logs, once per page and option, a status property that
// lacks the option goalpost would write, with the fix.
func (s *Sink) missingOption(page, prop, option string, have []string) {
	key := page + "|" + option
	s.mu.Lock()
	seen := s.missing[key]
	s.missing[key] = true
	s.mu.Unlock()
	if !seen {
		s.log.Error("notion: status option missing; the other properties are written",
			"page", page, "property", prop, "missing", option, "options", strings.Join(have, ", "),
			"fix", fmt.Sprintf("add the option %q to %q in Notion (the API cannot create status options), or map it to an existing one under [notion.status_names]", option, prop))
	}
}

// MissingStatusOptions names the goalpost status option names (as
// configured under [notion.status_names]) that are not among options, ignoring
// case: what `goalpost doctor` reports for a status property.
func (c *Config) MissingStatusOptions(options []string) []string {
	var out []string
	for _, name := range sortedValues(c.statusNames()) {
		if _, ok := matchOption(name, options); !ok {
			out = append(out, name)
		}
	}
	return out
}

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
