// Package trello is the Trello connector: cards of configured boards by poll
// and webhook (HEAD check, X-Trello-Webhook signature), a card reaching a
// configured done list completing it and moving back reopening it.
package trello

import (
	"cmp"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
)

// DefaultBaseURL is Trello's REST API.
const DefaultBaseURL = "https://api.trello.com/1"

// Defaults of the optional keys.
const (
	DefaultPollInterval = 5 * time.Minute
	// DefaultRequestsPer10s keeps inside Trello's 100 requests per 10 s
	// per token (Trello sends no Retry-After; see api-facts).
	DefaultRequestsPer10s = 80
)

// Config is the [trello] section.
type Config struct {
	BaseURL string        `toml:"base_url"` // default https://api.trello.com/1
	Key     secret.String `toml:"key"`      // the app's API key
	Token   secret.String `toml:"token"`    // a user token
	// Secret is the app's OAuth secret: it signs webhook deliveries and
	// turns on the receiver at /webhooks/trello.
	Secret secret.String `toml:"secret"`
	// CallbackURL is the public URL Trello posts to, exactly as registered
	// (it is part of the signed message).
	CallbackURL string  `toml:"callback_url"`
	Boards      []Board `toml:"boards"`

	PollInterval confval.Duration `toml:"poll_interval"` // default 5m
	Overlap      confval.Duration `toml:"overlap"`       // default 2m, re-read before the cursor
	// BackfillSince ("2026-10-01") is where the first poll starts reading
	// card actions; default: Backfill before the first poll.
	BackfillSince string `toml:"backfill_since"`
	// Backfill is the older form, a duration back from the first poll
	// (default 720h). Deprecated: use BackfillSince.
	Backfill       confval.Duration `toml:"backfill"`
	PageSize       int              `toml:"page_size"`        // actions per request, default 1000 (Trello's maximum)
	RequestsPer10s int              `toml:"requests_per_10s"` // default 80 (Trello allows 100 per token)
	BlockedLabels  []string         `toml:"blocked_labels"`   // default ["Blocked"]
}

// Board is one [[trello.boards]] entry.
type Board struct {
	ID string `toml:"id"`
	// DoneLists are the ids of the lists where a card is done (ids, not
	// names: names change).
	DoneLists []string `toml:"done_lists"`
}

var trelloID = regexp.MustCompile(`^[0-9a-fA-F]{24}$|^[A-Za-z0-9]{8}$`)

// Validate checks the section without any I/O.
func (c *Config) Validate() error {
	var errs []error
	if !c.Key.IsSet() || !c.Token.IsSet() {
		errs = append(errs, confval.Fieldf("token", "key and token are required"))
	}
	for _, u := range []struct{ key, v string }{{"base_url", c.BaseURL}, {"callback_url", c.CallbackURL}} {
		if u.v == "" {
			continue
		}
		if p, err := url.Parse(u.v); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs = append(errs, confval.Fieldf(u.key, "must be an http(s) URL"))
		}
	}
	if c.Secret.IsSet() && c.CallbackURL == "" {
		errs = append(errs, confval.Fieldf("callback_url", "required with secret: the signature covers it"))
	}
	if len(c.Boards) == 0 {
		errs = append(errs, confval.Fieldf("boards", "list at least one board"))
	}
	for i, b := range c.Boards {
		if !trelloID.MatchString(b.ID) {
			errs = append(errs, confval.Fieldf("boards", "entry %d: id %q is not a Trello board id", i, b.ID))
		}
		if len(b.DoneLists) == 0 {
			errs = append(errs, confval.Fieldf("boards", "entry %d: done_lists is required (list ids)", i))
		}
	}
	if d := c.PollInterval.Duration; d != 0 && d < 30*time.Second {
		errs = append(errs, confval.Fieldf("poll_interval", "must be at least 30s"))
	}
	if c.Overlap.Duration < 0 || c.Backfill.Duration < 0 {
		errs = append(errs, confval.Fieldf("overlap", "overlap and backfill must not be negative"))
	}
	if err := confval.Date("backfill_since", c.BackfillSince); err != nil {
		errs = append(errs, err)
	}
	if c.PageSize < 0 || c.PageSize > 1000 {
		errs = append(errs, confval.Fieldf("page_size", "must be between 1 and 1000"))
	}
	if c.RequestsPer10s < 0 || c.RequestsPer10s > 100 {
		errs = append(errs, confval.Fieldf("requests_per_10s", "must be between 1 and 100 (Trello's per-token limit)"))
	}
	return errors.Join(errs...)
}

// settings are the keys with defaults applied.
type settings struct {
	boards        map[string]Board
	order         []string // board ids in config order
	interval      time.Duration
	overlap       time.Duration
	backfill      time.Duration
	since         string // backfill_since, "" when unset
	pageSize      int
	blockedLabels []string
}

func (c *Config) settings() settings {
	s := settings{boards: map[string]Board{}, interval: c.PollInterval.Or(DefaultPollInterval),
		overlap: c.Overlap.Or(2 * time.Minute), backfill: c.Backfill.Or(30 * 24 * time.Hour),
		since: c.BackfillSince, pageSize: c.PageSize, blockedLabels: c.BlockedLabels}
	for _, b := range c.Boards {
		s.boards[b.ID] = b
		s.order = append(s.order, b.ID)
	}
	if s.pageSize == 0 {
		s.pageSize = 1000
	}
	if s.blockedLabels == nil {
		s.blockedLabels = []string{"Blocked"}
	}
	return s
}

// done reports whether list is one of board's done lists.
func (s settings) done(board, list string) bool {
	return list != "" && slices.Contains(s.boards[board].DoneLists, list)
}

// ApplyDefaults fills unset keys with their defaults, so that check --print
// shows the effective values.
func (c *Config) ApplyDefaults() {
	c.BaseURL = cmp.Or(c.BaseURL, DefaultBaseURL)
	c.PollInterval.Duration = c.PollInterval.Or(DefaultPollInterval)
	c.RequestsPer10s = cmp.Or(c.RequestsPer10s, DefaultRequestsPer10s)
}
