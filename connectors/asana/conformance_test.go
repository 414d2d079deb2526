package asana

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/goalpost/goalpost/internal/fixtures"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/pipeline/event"
)

// The shared Asana payloads (synthesised from Asana's OpenAPI description)
// decode into what the connector reads.
func TestConformance(t *testing.T) {
	dir := fixtures.Dir(t, "asana")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	serve := func(status int, body []byte) *Client {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write(body)
		}))
		t.Cleanup(srv.Close)
		return NewClient(srv.URL, secret.String("t"), 0, WithTransportOptions(transport.Options{MaxAttempts: 1}))
	}
	t.Run("task", func(t *testing.T) {
		var tk task
		if _, err := serve(200, read("rest.task.get.synthesised-from-oas.json")).Get(t.Context(), "/tasks/12345", nil, &tk); err != nil {
			t.Fatal(err)
		}
		evs := mapper{s: (&Config{Projects: []string{"12345"}}).settings()}.events(&tk)
		if len(evs) == 0 {
			t.Fatal("no events")
		}
		ev := evs[0]
		if ev.Unit != "asana:12345" || ev.Repo != "12345" || ev.Attrs["section"] != "Next Actions" || ev.Kind != event.KindIssueCreated {
			t.Fatalf("event = %+v", ev)
		}
		if ev.Numbers["status"] != 5.2 { // the custom field "Status" has number_value 5.2
			t.Errorf("numbers = %v", ev.Numbers)
		}
	})
	t.Run("tasks list page", func(t *testing.T) {
		var page []task
		next, err := serve(200, read("rest.tasks.list.synthesised-from-oas.json")).Get(t.Context(), "/tasks", nil, &page)
		if err != nil || len(page) != 1 || next != "eyJ0eXAiOJiKV1iQLCJhbGciOiJIUzI1NiJ9" {
			t.Fatalf("page %+v next %q err %v", page, next, err)
		}
	})
	t.Run("webhook events", func(t *testing.T) {
		evs, err := parseDelivery(read("webhook.events.synthesised-from-oas.json"))
		if err != nil || len(evs) != 1 || evs[0].Resource.ResourceType != "task" || evs[0].Change.Field != "assignee" || evs[0].CreatedAt.IsZero() {
			t.Fatalf("events %+v err %v", evs, err)
		}
	})
	t.Run("goal", func(t *testing.T) {
		var g goal
		if _, err := serve(200, read("rest.goal.get.synthesised-from-oas.json")).Get(t.Context(), "/goals/12345", nil, &g); err != nil {
			t.Fatal(err)
		}
		if g.Metric == nil || *g.Metric.CurrentNumberValue != 8.12 || g.CurrentStatusUpdate.Title != "Status Update - Jun 15" {
			t.Fatalf("goal %+v", g)
		}
	})
	t.Run("metric request shape", func(t *testing.T) {
		var req struct{ Data map[string]any }
		if err := json.Unmarshal(read("rest.goal.setMetricCurrentValue.request.synthesised-from-oas.json"), &req); err != nil || req.Data["current_number_value"] == nil {
			t.Fatalf("request %v %v", req, err)
		}
	})
	t.Run("error", func(t *testing.T) {
		_, err := serve(400, read("rest.error.400.synthesised-from-oas.json")).Get(t.Context(), "/tasks", nil, nil)
		var e *Error
		if !IsStatus(err, 400) || !asError(err, &e) || e.Message != "project: Missing input" || !e.Permanent() {
			t.Fatalf("err = %v", err)
		}
	})
}

func asError(err error, e **Error) bool {
	v, ok := err.(*Error)
	*e = v
	return ok
}
