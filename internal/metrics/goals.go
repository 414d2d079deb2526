package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Init creates every counter's series for the configured sources and
// writeback services at 0, so a dashboard or alert sees them (and their
// rate) from the first scrape instead of after the first event or failure.
func (m *Metrics) Init(sources, services []string) {
	if m == nil {
		return
	}
	for _, s := range sources {
		for _, c := range []*prometheus.CounterVec{m.eventsIn, m.processed, m.duplicates, m.deadLettered, m.pollErrors} {
			c.WithLabelValues(s)
		}
	}
	for _, s := range services {
		m.writesSent.WithLabelValues(s)
		m.writesFailed.WithLabelValues(s, "retry")
		m.writesFailed.WithLabelValues(s, "permanent")
		m.writesParked.WithLabelValues(s)
	}
}

// PollOK records a successful poll of source at at
// (goalpost_source_last_success_timestamp_seconds).
func (m *Metrics) PollOK(source string, at time.Time) {
	if m != nil {
		m.lastSuccess.WithLabelValues(source).Set(float64(at.UnixMilli()) / 1000)
	}
}

// KRSample is one key result's stored value, for the gauges.
type KRSample struct {
	Key, Objective, Team string
	Value, Progress      float64
	Status               string
}

// WatchKeyResults exports, read at each scrape from read (bounded by 5 s
// and by ctx, the process's lifetime): goalpost_kr_value and
// goalpost_kr_progress per key result, and goalpost_kr_status, 1 for the
// key result's status and 0 for each other of statuses. A failed read
// exports nothing for the scrape (and counts in
// goalpost_kr_read_errors_total).
func (m *Metrics) WatchKeyResults(ctx context.Context, statuses []string, read func(context.Context) ([]KRSample, error)) {
	if m == nil {
		return
	}
	m.registerer.MustRegister(&krCollector{ctx: ctx, statuses: statuses, read: read, errs: m.krReadErrors})
}

var (
	krLabels   = []string{"kr", "objective", "team"}
	krValue    = prometheus.NewDesc("goalpost_kr_value", "A key result's current value (in its unit), as last stored.", krLabels, nil)
	krProgress = prometheus.NewDesc("goalpost_kr_progress", "A key result's progress, 0..1, as last stored.", krLabels, nil)
	krStatus   = prometheus.NewDesc("goalpost_kr_status", "1 for a key result's status (on_track, at_risk, off_track, done, stale), 0 for the others.", append(krLabels, "status"), nil)
)

type krCollector struct {
	ctx      context.Context
	statuses []string
	read     func(context.Context) ([]KRSample, error)
	errs     prometheus.Counter
}

func (c *krCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- krValue
	ch <- krProgress
	ch <- krStatus
}

func (c *krCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	samples, err := c.read(ctx)
	if err != nil {
		c.errs.Inc()
		return
	}
	for _, s := range samples {
		ch <- prometheus.MustNewConstMetric(krValue, prometheus.GaugeValue, s.Value, s.Key, s.Objective, s.Team)
		ch <- prometheus.MustNewConstMetric(krProgress, prometheus.GaugeValue, s.Progress, s.Key, s.Objective, s.Team)
		for _, st := range c.statuses {
			v := 0.0
			if st == s.Status {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(krStatus, prometheus.GaugeValue, v, s.Key, s.Objective, s.Team, st)
		}
	}
}
