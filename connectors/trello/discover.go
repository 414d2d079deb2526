package trello

import (
	"context"
	"net/url"
	"regexp"
	"slices"
)

// discoverBoardCap bounds how many boards Discover reads.
const discoverBoardCap = 50

// doneLike matches list names that usually mean done.
var doneLike = regexp.MustCompile(`(?i)\b(done|shipped|released|deployed|complete[d]?|live)\b`)

// Discovery is what a key and token can see, for `goalpost init`.
type Discovery struct {
	Boards []DiscoveredBoard
	// Usernames are the boards' members, sorted.
	Usernames []string
}

// DiscoveredBoard is one open board with its open lists in board order and
// the lists that look like done (by name; else the last list, Trello's
// convention).
type DiscoveredBoard struct {
	ID, Name  string
	Lists     []DiscoveredList
	DoneLists []DiscoveredList
	// DoneGuessed is true when no list name looked like done and the last
	// list was taken.
	DoneGuessed bool
}

// DiscoveredList is one list of a board.
type DiscoveredList struct{ ID, Name string }

// Discover lists, read-only, the open boards of the token's member (at most
// 50), each one's open lists and members. A board whose lists or members
// cannot be read is kept without them. opts as for NewClient.
func Discover(ctx context.Context, cfg *Config, opts ...ClientOption) (Discovery, error) {
	c := NewClient(cfg.BaseURL, cfg.Key, cfg.Token, cfg.RequestsPer10s, opts...)
	var boards []struct{ ID, Name string }
	if err := c.Get(ctx, "/members/me/boards", url.Values{"filter": {"open"}, "fields": {"name"}}, &boards); err != nil {
		return Discovery{}, err
	}
	var d Discovery
	for _, b := range boards[:min(len(boards), discoverBoardCap)] {
		db := DiscoveredBoard{ID: b.ID, Name: b.Name}
		if err := c.Get(ctx, "/boards/"+b.ID+"/lists", url.Values{"filter": {"open"}, "fields": {"name"}}, &db.Lists); err == nil {
			db.guessDone()
		}
		var members []struct{ Username string }
		if err := c.Get(ctx, "/boards/"+b.ID+"/members", url.Values{"fields": {"username"}}, &members); err == nil {
			for _, m := range members {
				if m.Username != "" && !slices.Contains(d.Usernames, m.Username) {
					d.Usernames = append(d.Usernames, m.Username)
				}
			}
		}
		d.Boards = append(d.Boards, db)
	}
	slices.Sort(d.Usernames)
	return d, nil
}

func (b *DiscoveredBoard) guessDone() {
	for _, l := range b.Lists {
		if doneLike.MatchString(l.Name) {
			b.DoneLists = append(b.DoneLists, l)
		}
	}
	if len(b.DoneLists) == 0 && len(b.Lists) > 0 {
		b.DoneLists, b.DoneGuessed = b.Lists[len(b.Lists)-1:], true
	}
}
