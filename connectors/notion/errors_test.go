package notion_test

import (
	"errors"
	"fmt"
	"github.com/goalpost/goalpost/writeback/outbox"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/internal/sandbox/notionfake"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback"
)

func TestSinkPermanentErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, e *env) outbox.Target
		mod     func(*notion.Config)
		want    string // in the error
		patches int    // PATCH /v1/pages requests expected
	}{
		{name: "missing page", want: "object_not_found", setup: func(t *testing.T, e *env) outbox.Target {
			return outbox.NotionPage("0123456789abcdef0123456789abcdef")
		}},
		{name: "page not shared", want: "object_not_found", setup: func(t *testing.T, e *env) outbox.Target {
			id := e.page(t, nil)
			_ = e.fake.SetShared(id, false)
			return outbox.NotionPage(id)
		}},
		{name: "trashed page", want: "in the trash", setup: func(t *testing.T, e *env) outbox.Target {
			id := e.page(t, nil)
			_ = e.fake.Trash(id)
			return outbox.NotionPage(id)
		}},
		{name: "bad target", want: "no page id", setup: func(t *testing.T, e *env) outbox.Target { return outbox.NotionPage("nope") }},
		{name: "missing property", want: `no property "Confidence"`, mod: func(c *notion.Config) { c.Properties.Progress = "Confidence" },
			setup: func(t *testing.T, e *env) outbox.Target { return outbox.NotionPage(e.page(t, nil)) }},
		{name: "bad token", want: "unauthorized", mod: func(c *notion.Config) { c.Token = "secret_wrong" },
			setup: func(t *testing.T, e *env) outbox.Target { return outbox.NotionPage(e.page(t, nil)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.mod)
			target := tt.setup(t, e)
			err := e.sink.Write(t.Context(), target, result(rules.StatusOnTrack))
			if err == nil || !writeback.IsPermanent(err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (permanent %v), want a permanent error with %q", err, writeback.IsPermanent(err), tt.want)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(e.logs.String(), token) {
				t.Error("token leaked")
			}
			if got := e.fake.Count("PATCH /v1/pages/{id}"); got != tt.patches {
				t.Errorf("page PATCHes = %d, want %d", got, tt.patches)
			}
			if e.fake.Restores() != 0 {
				t.Error("a trashed page was restored")
			}
		})
	}
}

func TestSinkPageTrashedAfterFirstWriteIsNotRestored(t *testing.T) {
	e := newEnv(t, nil)
	id := e.page(t, nil)
	ctx := t.Context()
	if err := e.sink.Write(ctx, outbox.NotionPage(id), result(rules.StatusOnTrack)); err != nil {
		t.Fatal(err)
	}
	_ = e.fake.Trash(id)
	err := e.sink.Write(ctx, outbox.NotionPage(id), result(rules.StatusAtRisk))
	if !writeback.IsPermanent(err) || !strings.Contains(err.Error(), "in the trash") {
		t.Fatalf("err = %v, want permanent 'in the trash'", err)
	}
	p, _ := e.fake.Page(id)
	if !p.Trashed || e.fake.Restores() != 0 || p.Props["Status"] != "On track" {
		t.Errorf("trashed page changed: trashed=%v restores=%d status=%v", p.Trashed, e.fake.Restores(), p.Props["Status"])
	}
}

func TestSinkRetriesRateLimitsAndServerErrors(t *testing.T) {
	ra := func(n int) *int { return &n }
	tests := []struct {
		name   string
		faults []notionfake.Fault
		sleeps []time.Duration // the transport's waits; nil means any backoff
		retry  time.Duration   // >0: the write fails retryably asking for this wait
	}{
		{name: "429 with Retry-After", faults: []notionfake.Fault{{Method: "PATCH", Path: "/v1/pages/", Status: 429, RetryAfter: ra(7), Times: 2}},
			sleeps: []time.Duration{7 * time.Second, 7 * time.Second}},
		{name: "429 on a notionapi request (check-in append)", faults: []notionfake.Fault{{Method: "PATCH", Path: "/v1/blocks/", Status: 429, RetryAfter: ra(2)}},
			sleeps: []time.Duration{2 * time.Second}},
		{name: "529 service_overload", faults: []notionfake.Fault{{Status: 529, RetryAfter: ra(3)}},
			sleeps: []time.Duration{3 * time.Second}},
		{name: "HTML 502 from a proxy", faults: []notionfake.Fault{{Method: "PATCH", Status: 502, HTML: true}}},
		{name: "409 conflict", faults: []notionfake.Fault{{Method: "PATCH", Status: 409}}},
		{name: "Retry-After beyond the wait bound", faults: []notionfake.Fault{{Status: 429, RetryAfter: ra(90)}}, retry: 90 * time.Second},
		{name: "5xx until attempts run out", faults: []notionfake.Fault{{Status: 503, Times: 4}}, retry: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			id := e.page(t, nil)
			for _, f := range tt.faults {
				e.fake.Inject(f)
			}
			err := e.sink.Write(t.Context(), outbox.NotionPage(id), result(rules.StatusOnTrack))
			if tt.retry != 0 {
				if err == nil || writeback.IsPermanent(err) {
					t.Fatalf("err = %v, want a retryable error", err)
				}
				var w interface{ Wait() time.Duration }
				if tt.retry > 0 && (!errors.As(err, &w) || w.Wait() != tt.retry) {
					t.Errorf("err = %v, want a wait of %s", err, tt.retry)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p, _ := e.fake.Page(id); p.Props["Current"] != 12.0 {
				t.Errorf("page not updated: %v", p.Props)
			}
			if tt.sleeps != nil && fmt.Sprint(e.sleeps) != fmt.Sprint(tt.sleeps) {
				t.Errorf("waits = %v, want %v", e.sleeps, tt.sleeps)
			}
		})
	}
}

// TestSinkStaysUnderTheRateLimit: with the fake enforcing a limit 10% above
// the sink's token bucket (network jitter makes an exact match flaky, as it
// would against Notion), no request is refused, and 32 requests at 10 per
// second (burst 10) take over two seconds.
func TestSinkStaysUnderTheRateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("paces real time")
	}
	e := newEnv(t, func(c *notion.Config) { c.RequestsPerSecond = 10 })
	e.fake.EnforceRate(11, 10)
	start := time.Now()
	for i := range 8 { // 4 requests each: read page, update page, list blocks, append check-in; and one data source read
		id := e.page(t, map[string]any{"Name": fmt.Sprint(i), "Key": fmt.Sprint(i)})
		if err := e.sink.Write(t.Context(), outbox.NotionPage(id), result(rules.StatusOnTrack)); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	var limited, total int
	for _, r := range e.fake.Log() {
		total++
		if r.Status == 429 {
			limited++
		}
	}
	if total != 33 || limited != 0 || elapsed < 2*time.Second {
		t.Errorf("%d requests, %d refused with 429, in %s; want 33, 0, ≥ 2.2s", total, limited, elapsed)
	}
}
