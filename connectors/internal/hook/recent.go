package hook

import "sync"

// Recent remembers the last n delivery ids a receiver handled, so a
// redelivery is answered at once without publishing again (event ids
// dedupe whatever it misses). Safe for concurrent use.
type Recent struct {
	mu    sync.Mutex
	n     int
	ids   map[string]bool
	order []string
}

// NewRecent remembers up to n ids.
func NewRecent(n int) *Recent { return &Recent{n: n, ids: map[string]bool{}} }

// Has reports whether id was added and not yet evicted.
func (s *Recent) Has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id]
}

// Add remembers id, evicting the oldest beyond n.
func (s *Recent) Add(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" || s.ids[id] {
		return
	}
	s.ids[id] = true
	s.order = append(s.order, id)
	if len(s.order) > s.n {
		delete(s.ids, s.order[0])
		s.order = s.order[1:]
	}
}
