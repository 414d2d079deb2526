package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Hub tells open pages that key results may have changed. Notify never
// blocks; each subscriber holds at most one pending notice (notices
// coalesce). Run owns its lifetime: when Run's ctx ends, every live stream
// ends, so the admin listener's shutdown does not wait on them.
type Hub struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
	done chan struct{}
	once sync.Once
}

// NewHub returns a hub with no subscribers.
func NewHub() *Hub {
	return &Hub{subs: map[chan struct{}]struct{}{}, done: make(chan struct{})}
}

// Notify wakes every subscriber.
func (h *Hub) Notify() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Run waits for ctx to end, then closes every stream.
func (h *Hub) Run(ctx context.Context) error {
	<-ctx.Done()
	h.once.Do(func() { close(h.done) })
	return nil
}

func (h *Hub) subscribe() (chan struct{}, func()) {
	c := make(chan struct{}, 1)
	h.mu.Lock()
	h.subs[c] = struct{}{}
	h.mu.Unlock()
	return c, func() {
		h.mu.Lock()
		delete(h.subs, c)
		h.mu.Unlock()
	}
}

// keepAlive is how often an idle stream gets a comment, so proxies keep it.
const keepAlive = 25 * time.Second

// ServeHTTP streams server-sent events: "changed" after each notice (the
// page then fetches itself again), a comment every keepAlive.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	c, cancel := h.subscribe()
	defer cancel()
	fmt.Fprint(w, "retry: 1000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.done:
			return
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case <-c:
			fmt.Fprint(w, "event: changed\ndata: {}\n\n")
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
