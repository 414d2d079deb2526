package writeback

import (
	"cmp"
	"errors"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
)

// Config is the [writeback] section (all keys optional).
type Config struct {
	// PollInterval is how often due writes are looked for when nothing
	// called Notify (default 2s).
	PollInterval confval.Duration `toml:"poll_interval"`
	// RetryBase is the wait after a write's first retryable failure; it
	// doubles per failure up to RetryMax (defaults 30s and 30m). A longer
	// Retry-After from the service wins, up to an hour (or RetryMax when
	// that is longer).
	RetryBase confval.Duration `toml:"retry_base"`
	RetryMax  confval.Duration `toml:"retry_max"`
	// Lease reserves a claimed write for one send (default 2m); a crash
	// mid-send delays that write by at most this.
	Lease confval.Duration `toml:"lease"`
	// RetryParkedOnStart retries every parked write at start-up. Without it,
	// parked writes are retried when their sink's configuration changed.
	RetryParkedOnStart bool `toml:"retry_parked_on_start"`
}

// Defaults of the [writeback] section.
const (
	DefaultPollInterval = 2 * time.Second
	DefaultRetryBase    = 30 * time.Second
	DefaultRetryMax     = 30 * time.Minute
	DefaultLease        = 2 * time.Minute
)

// ApplyDefaults fills the unset keys of the section: the one place its
// defaults are set (internal/config calls it once after decoding; New
// starts from an empty section with them).
func (c *Config) ApplyDefaults() {
	c.PollInterval.Duration = cmp.Or(c.PollInterval.Duration, DefaultPollInterval)
	c.RetryBase.Duration = cmp.Or(c.RetryBase.Duration, DefaultRetryBase)
	c.RetryMax.Duration = cmp.Or(c.RetryMax.Duration, DefaultRetryMax)
	c.Lease.Duration = cmp.Or(c.Lease.Duration, DefaultLease)
}

// Validate checks the section (after ApplyDefaults) without any I/O.
func (c *Config) Validate() error {
	var errs []error
	check := func(key string, d confval.Duration, lo time.Duration) {
		if d.Duration != 0 && d.Duration < lo {
			errs = append(errs, confval.Fieldf(key, "must be at least %s", lo))
		}
	}
	check("poll_interval", c.PollInterval, 10*time.Millisecond)
	check("retry_base", c.RetryBase, time.Second)
	check("retry_max", c.RetryMax, time.Second)
	check("lease", c.Lease, 10*time.Second)
	if c.RetryMax.Duration != 0 && c.RetryMax.Duration < c.RetryBase.Duration {
		errs = append(errs, confval.Fieldf("retry_max", "must not be below retry_base"))
	}
	return errors.Join(errs...)
}

// Options turns the section (after ApplyDefaults) into Sender options.
func (c *Config) Options() []Option {
	opts := []Option{
		WithPollInterval(c.PollInterval.Duration),
		WithBackoff(c.RetryBase.Duration, c.RetryMax.Duration),
		WithLease(c.Lease.Duration),
	}
	if c.RetryParkedOnStart {
		opts = append(opts, WithRetryParkedOnStart())
	}
	return opts
}
