package pagerduty

import (
	"context"
	"net/url"
	"time"

	"github.com/goalpost/goalpost/internal/confval"
)

// Doctor checks, read-only, that the token can list the incidents of the
// configured services (one request for the last day). opts as for NewClient.
func Doctor(ctx context.Context, cfg *Config, now time.Time, opts ...ClientOption) []confval.Check {
	c := NewClient(cfg, opts...)
	q := url.Values{"since": {now.Add(-24 * time.Hour).UTC().Format(time.RFC3339)}, "until": {now.UTC().Format(time.RFC3339)}, "limit": {"1"}}
	for _, id := range cfg.ServiceIDs {
		q.Add("service_ids[]", id)
	}
	fix := "set [pagerduty] token to a read-only REST API key (Integrations → API Access Keys) that sees service_ids"
	return []confval.Check{confval.Probe("pagerduty incidents readable", fix, func() (string, error) {
		var page struct{}
		return "", c.get(ctx, "/incidents", q, &page)
	})}
}
