package linear

import (
	"net/url"
	"regexp"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
)

// Defaults of the polling keys, applied when a key is unset.
const (
	DefaultPollInterval = 5 * time.Minute
	DefaultOverlap      = 2 * time.Minute
	DefaultBackfill     = 30 * 24 * time.Hour
	DefaultPageSize     = 50
	// MaxPageSize keeps one issues query under Linear's 10,000-point
	// complexity cap (each issue costs about 55 points with its labels and
	// relations).
	MaxPageSize = 100
)

var teamKey = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_]{0,15}$`)

// validatePoll checks the polling keys (no I/O).
func (c *Config) validatePoll() []error {
	var errs []error
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, confval.Fieldf("base_url", "must be an http(s) URL such as %s", DefaultEndpoint))
		}
	}
	for i, k := range c.Teams {
		if !teamKey.MatchString(k) {
			errs = append(errs, confval.Fieldf("teams", "entry %d %q is not a team key such as ENG", i, k))
		}
	}
	if d := c.PollInterval.Duration; d != 0 && d < 30*time.Second {
		errs = append(errs, confval.Fieldf("poll_interval", "must be at least 30s (Linear allows 2,500 requests an hour)"))
	}
	if c.Overlap.Duration < 0 {
		errs = append(errs, confval.Fieldf("overlap", "must not be negative"))
	}
	if c.Backfill.Duration < 0 {
		errs = append(errs, confval.Fieldf("backfill", "must not be negative"))
	}
	if err := confval.Date("backfill_since", c.BackfillSince); err != nil {
		errs = append(errs, err)
	}
	if c.PageSize < 0 || c.PageSize > MaxPageSize {
		errs = append(errs, confval.Fieldf("page_size", "must be between 1 and %d", MaxPageSize))
	}
	return errs
}

// pollSettings are the polling keys with defaults applied.
type pollSettings struct {
	teams         []string
	interval      time.Duration
	overlap       time.Duration
	backfill      time.Duration
	since         time.Time // backfill_since; zero when unset
	pageSize      int
	blockedLabels []string
	blockedStates []string
}

func (c *Config) pollSettings() pollSettings {
	p := pollSettings{
		teams:         c.Teams,
		interval:      c.PollInterval.Or(DefaultPollInterval),
		overlap:       c.Overlap.Or(DefaultOverlap),
		backfill:      c.Backfill.Or(DefaultBackfill),
		since:         dateOrZero(c.BackfillSince),
		pageSize:      c.PageSize,
		blockedLabels: c.BlockedLabels,
		blockedStates: c.BlockedStates,
	}
	if p.pageSize == 0 {
		p.pageSize = DefaultPageSize
	}
	if p.blockedLabels == nil {
		p.blockedLabels = []string{"Blocked"}
	}
	if p.blockedStates == nil {
		p.blockedStates = []string{"Blocked"}
	}
	return p
}

// firstCursor is where a first poll starts: backfill_since, else backfill
// before now.
func (p pollSettings) firstCursor(now time.Time) time.Time {
	if !p.since.IsZero() {
		return p.since
	}
	return now.Add(-p.backfill)
}

func dateOrZero(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}
