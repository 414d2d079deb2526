package linear

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/goalpost/goalpost/internal/confval"
)

// viewerQuery reads who the key is and the teams it sees.
const viewerQuery = `query GoalpostViewer { viewer { id } teams(first: 250) { nodes { key } } }`

// Doctor checks, read-only, what the poller and the sink need: the API
// key, each configured team, and each key result's project and initiative
// (read as the sink reads their latest update). opts as for NewClient.
func Doctor(ctx context.Context, cfg *Config, projects, initiatives []string, opts ...ClientOption) []confval.Check {
	c := NewClient(cfg.BaseURL, cfg.APIKey, opts...)
	var v struct {
		Teams struct {
			Nodes []struct{ Key string } `json:"nodes"`
		} `json:"teams"`
	}
	if err := c.Do(ctx, viewerQuery, nil, &v); err != nil {
		return []confval.Check{{Name: "linear: API key", Detail: err.Error(),
			Fix: confval.FixFor(err, "set [linear] api_key to a personal API key (Settings → Security & access → Personal API keys)")}}
	}
	out := []confval.Check{{Name: "linear: API key", OK: true}}
	var seen []string
	for _, n := range v.Teams.Nodes {
		seen = append(seen, n.Key)
	}
	for _, key := range cfg.Teams {
		ck := confval.Check{Name: "linear team " + key, OK: true}
		if !slices.ContainsFunc(seen, func(s string) bool { return strings.EqualFold(s, key) }) {
			ck.OK, ck.Detail, ck.Fix = false, "the key sees "+strings.Join(seen, ", "), fmt.Sprintf("correct [linear] teams, or give the key's user access to %s", key)
		}
		out = append(out, ck)
	}
	for _, t := range []struct {
		kind string
		ids  []string
	}{{"project", projects}, {"initiative", initiatives}} {
		kind := t.kind
		for _, id := range t.ids {
			ck := confval.Check{Name: "linear " + kind + " " + id, OK: true}
			if err := c.Do(ctx, updateKinds[kind].latest, map[string]any{"id": id}, nil); err != nil {
				ck.OK, ck.Detail, ck.Fix = false, err.Error(), fmt.Sprintf("correct the key result's linear_%s (the id in the %s's URL)", kind, kind)
			}
			out = append(out, ck)
		}
	}
	return out
}
