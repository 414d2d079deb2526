package incidentio

import (
	"context"
	"net/http"
	"net/url"

	"github.com/goalpost/goalpost/internal/confval"
)

// Doctor checks, read-only, that the API key can list incidents (one
// request). base as for NewClient.
func Doctor(ctx context.Context, cfg *Config, base http.RoundTripper) []confval.Check {
	c := NewClient(cfg, base, nil, nil)
	fix := "set [incidentio] token to an API key with \"View data\" permission (Settings → API keys)"
	return []confval.Check{confval.Probe("incident.io incidents readable", fix, func() (string, error) {
		var page struct{}
		return "", c.get(ctx, "/v2/incidents", url.Values{"page_size": {"1"}}, &page)
	})}
}
