package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCountersAndSourceHealth(t *testing.T) {
	m := New()
	m.EventIn("github", 3)
	m.Processed("github")
	m.DeadLettered("jira")
	m.WriteSent("notion")
	m.WriteFailed("notion", true)
	m.SetParked("notion", 2)
	m.Webhook("github", 401)
	failing := true
	m.WatchSource("linear", func() bool { return failing })
	scrape := func() string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		b, _ := io.ReadAll(rec.Body)
		return string(b)
	}
	out := scrape()
	for _, want := range []string{
		`goalpost_events_in_total{source="github"} 3`,
		`goalpost_events_processed_total{source="github"} 1`,
		`goalpost_events_dead_lettered_total{source="jira"} 1`,
		`goalpost_writes_sent_total{service="notion"} 1`,
		`goalpost_writes_failed_total{kind="permanent",service="notion"} 1`,
		`goalpost_writes_parked{service="notion"} 2`,
		`goalpost_webhook_requests_total{code="401",source="github"} 1`,
		`goalpost_source_failing{source="linear"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	failing = false
	if !strings.Contains(scrape(), `goalpost_source_failing{source="linear"} 0`) {
		t.Error("source_failing must follow the source")
	}
}

func TestNilMetricsAreSafe(t *testing.T) {
	var m *Metrics
	m.EventIn("x", 1)
	m.Processed("x")
	m.Duplicate("x")
	m.DeadLettered("x")
	m.WriteSent("x")
	m.WriteFailed("x", false)
	m.SetParked("x", 1)
	m.PollError("x")
	m.Webhook("x", 200)
	m.WatchSource("x", func() bool { return true })
}
