package server

import (
	"sync"
	"time"
)

// deliveryWindow is how long Deliveries remembers a delivery.
const deliveryWindow = time.Hour

// Deliveries remembers when each source's webhook deliveries were
// accepted (2xx) over the last hour, for the dashboard's Sources page. It
// is safe for concurrent use; memory is bounded by the deliveries of one
// hour.
type Deliveries struct {
	now func() time.Time
	mu  sync.Mutex
	at  map[string][]time.Time // by source, oldest first
}

// NewDeliveries returns an empty record reading the clock now.
func NewDeliveries(now func() time.Time) *Deliveries {
	return &Deliveries{now: now, at: map[string][]time.Time{}}
}

// Record notes one accepted delivery of source; nil-safe.
func (d *Deliveries) Record(source string) {
	if d == nil {
		return
	}
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.at[source] = append(prune(d.at[source], now.Add(-deliveryWindow)), now)
}

// Since counts each source's deliveries at or after t (at most an hour back).
func (d *Deliveries) Since(t time.Time) map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]int{}
	for s, ts := range d.at {
		d.at[s] = prune(ts, d.now().Add(-deliveryWindow))
		out[s] = len(prune(d.at[s], t))
	}
	return out
}

func prune(ts []time.Time, before time.Time) []time.Time {
	i := 0
	for i < len(ts) && ts[i].Before(before) {
		i++
	}
	return ts[i:]
}
