package trello

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/goalpost/goalpost/internal/confval"
)

// Doctor checks, read-only, what the poller needs: the key and token are
// valid, each configured board is readable with its actions, and each of its
// done_lists is an open list of that board. opts as for NewClient.
func Doctor(ctx context.Context, cfg *Config, opts ...ClientOption) []confval.Check {
	c := NewClient(cfg.BaseURL, cfg.Key, cfg.Token, cfg.RequestsPer10s, opts...)
	var out []confval.Check
	check := func(name, fix string, call func() (string, error)) {
		out = append(out, confval.Probe("trello "+name, fix, call))
	}
	check("key and token valid", "create a token for the app's key at https://trello.com/1/authorize and set [trello] key and token", func() (string, error) {
		var me struct{ Username string }
		err := c.Get(ctx, "/members/me", url.Values{"fields": {"username"}}, &me)
		return "as " + me.Username, err
	})
	for _, b := range cfg.Boards {
		fix := fmt.Sprintf("add the token's member to board %s, or remove the board", b.ID)
		check(b.ID+": board readable", fix, func() (string, error) {
			var board struct{ Name string }
			err := c.Get(ctx, "/boards/"+b.ID, url.Values{"fields": {"name"}}, &board)
			return board.Name, err
		})
		check(b.ID+": done_lists are its open lists", "set done_lists to ids from `goalpost init` or GET /1/boards/"+b.ID+"/lists", func() (string, error) {
			var lists []struct{ ID string }
			if err := c.Get(ctx, "/boards/"+b.ID+"/lists", url.Values{"filter": {"open"}, "fields": {"id"}}, &lists); err != nil {
				return "", err
			}
			for _, id := range b.DoneLists {
				if !slices.ContainsFunc(lists, func(l struct{ ID string }) bool { return l.ID == id }) {
					return "", fmt.Errorf("list %s is not an open list of the board", id)
				}
			}
			return "", nil
		})
	}
	return out
}
