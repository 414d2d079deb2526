// Package metrics holds goalpost's Prometheus collectors. One *Metrics is
// created in main, registered on its own registry and injected into the parts
// that count things; every method is safe on a nil *Metrics, so tests and
// one-shot commands can pass nil.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set of goalpost's collectors.
type Metrics struct {
	reg          *prometheus.Registry
	registerer   prometheus.Registerer // reg, labelled with the replica
	leases       *prometheus.GaugeVec
	eventsIn     *prometheus.CounterVec
	processed    *prometheus.CounterVec
	duplicates   *prometheus.CounterVec
	deadLettered *prometheus.CounterVec
	writesSent   *prometheus.CounterVec
	writesFailed *prometheus.CounterVec
	writesParked *prometheus.GaugeVec
	pollErrors   *prometheus.CounterVec
	warnings     *prometheus.CounterVec
	webhooks     *prometheus.CounterVec
	lastSuccess  *prometheus.GaugeVec
	krReadErrors prometheus.Counter
}

// New creates the collectors on a fresh registry (with Go and process
// collectors), without a replica label.
func New() *Metrics { return ForReplica("") }

// ForReplica is New with every series labelled replica=<id>, so the
// metrics of several replicas of goalpost stay apart when aggregated.
func ForReplica(id string) *Metrics {
	m := &Metrics{
		reg:          prometheus.NewRegistry(),
		eventsIn:     counter("events_in_total", "Events published to the stream, by source.", "source"),
		processed:    counter("events_processed_total", "Events stored and evaluated, by source.", "source"),
		duplicates:   counter("events_duplicate_total", "Events dropped because they were already stored, by source.", "source"),
		deadLettered: counter("events_dead_lettered_total", "Messages moved to the dead-letter subject, by source.", "source"),
		writesSent:   counter("writes_sent_total", "Writeback requests that succeeded, by service.", "service"),
		writesFailed: counter("writes_failed_total", "Writeback attempts that failed, by service and kind (retry|permanent).", "service", "kind"),
		writesParked: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "goalpost", Name: "writes_parked", Help: "Writes parked on a permanent error, by service."}, []string{"service"}),
		pollErrors:   counter("poll_errors_total", "Failed polls, by source.", "source"),
		warnings:     counter("source_warnings_total", "Trouble that does not fail a poll (e.g. kind=redelivery: webhook deliveries could not be checked), by source and kind.", "source", "kind"),
		webhooks:     counter("webhook_requests_total", "Webhook requests, by source and status code.", "source", "code"),
	}
	m.lastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "goalpost", Name: "source_last_success_timestamp_seconds", Help: "When the source's last successful poll ended (Unix seconds)."}, []string{"source"})
	m.krReadErrors = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "goalpost", Name: "kr_read_errors_total", Help: "Scrapes whose key-result gauges could not be read from the store."})
	m.leases = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "goalpost", Name: "lease_held", Help: "1 while this replica holds the lease (poll.<source>, report, wins, tick)."}, []string{"lease"})
	m.registerer = m.reg
	if id != "" {
		m.registerer = prometheus.WrapRegistererWith(prometheus.Labels{"replica": id}, m.reg)
	}
	m.registerer.MustRegister(m.leases, m.eventsIn, m.processed, m.duplicates, m.deadLettered, m.writesSent,
		m.writesFailed, m.writesParked, m.pollErrors, m.warnings, m.webhooks, m.lastSuccess, m.krReadErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func counter(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "goalpost", Name: name, Help: help}, labels)
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry exposes the registry (for tests and extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// EventIn counts n events published from source.
func (m *Metrics) EventIn(source string, n int) {
	if m != nil {
		m.eventsIn.WithLabelValues(source).Add(float64(n))
	}
}

// Processed counts one event stored and evaluated.
func (m *Metrics) Processed(source string) {
	if m != nil {
		m.processed.WithLabelValues(source).Inc()
	}
}

// Duplicate counts one event dropped as already stored.
func (m *Metrics) Duplicate(source string) {
	if m != nil {
		m.duplicates.WithLabelValues(source).Inc()
	}
}

// DeadLettered counts one message moved to the dead-letter subject.
func (m *Metrics) DeadLettered(source string) {
	if m != nil {
		m.deadLettered.WithLabelValues(source).Inc()
	}
}

// WriteSent counts one successful writeback request to service.
func (m *Metrics) WriteSent(service string) {
	if m != nil {
		m.writesSent.WithLabelValues(service).Inc()
	}
}

// WriteFailed counts one failed writeback attempt; permanent failures are parked.
func (m *Metrics) WriteFailed(service string, permanent bool) {
	if m != nil {
		kind := "retry"
		if permanent {
			kind = "permanent"
		}
		m.writesFailed.WithLabelValues(service, kind).Inc()
	}
}

// SetParked sets the number of parked writes for service.
func (m *Metrics) SetParked(service string, n int) {
	if m != nil {
		m.writesParked.WithLabelValues(service).Set(float64(n))
	}
}

// PollError counts one failed poll of source.
func (m *Metrics) PollError(source string) {
	if m != nil {
		m.pollErrors.WithLabelValues(source).Inc()
	}
}

// SourceWarning counts one trouble of source that does not fail its poll.
func (m *Metrics) SourceWarning(source, kind string) {
	if m != nil {
		m.warnings.WithLabelValues(source, kind).Inc()
	}
}

// Webhook counts one webhook request answered with code.
func (m *Metrics) Webhook(source string, code int) {
	if m != nil {
		m.webhooks.WithLabelValues(source, httpCode(code)).Inc()
	}
}

// WatchSource exports goalpost_source_failing{source} as 1 while failing
// reports true (the source's last poll failed), read at each scrape.
func (m *Metrics) WatchSource(source string, failing func() bool) {
	if m == nil {
		return
	}
	m.registerer.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "goalpost", Name: "source_failing", Help: "1 while the source's last poll failed.",
		ConstLabels: prometheus.Labels{"source": source},
	}, func() float64 {
		if failing() {
			return 1
		}
		return 0
	}))
}

// LeaseHeld sets goalpost_lease_held{lease} to whether this replica holds it.
func (m *Metrics) LeaseHeld(lease string, held bool) {
	if m != nil {
		v := 0.0
		if held {
			v = 1
		}
		m.leases.WithLabelValues(lease).Set(v)
	}
}
