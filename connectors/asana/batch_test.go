package asana_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/internal/sandbox/asanafake"
)

// TestWebhookReadsTasksInBatches: a delivery naming many tasks reads them
// through POST /batch, ten to a request, never one GET per task; a task
// deleted meanwhile (404 inside the batch) gives issue.deleted, and a
// failed batch is a 503 that Asana retries.
func TestWebhookReadsTasksInBatches(t *testing.T) {
	tests := []struct {
		name      string
		tasks     int
		wantBatch int
		wantGets  int // plain GET /tasks/{gid}
	}{
		{"one task: one plain read", 1, 0, 1},
		{"ten tasks: one batch", 10, 1, 0},
		{"twenty-three tasks: three batches", 23, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			ctx := t.Context()
			if err := h.hook.Create(ctx, "1001", h.hooks.URL+"/webhooks/asana"); err != nil {
				t.Fatal(err)
			}
			var evs []asanafake.Event
			var gids []string
			for i := range tt.tasks {
				g := h.task("t"+string(rune('a'+i%26)), "To do")
				gids = append(gids, g)
				// Two changes of the same task: still one read.
				evs = append(evs, asanafake.Event{Action: "added", Task: g, At: h.clk.Now()},
					asanafake.Event{Action: "changed", Task: g, Field: "name", At: h.clk.Now()})
			}
			gone := gids[len(gids)-1]
			h.fake.Delete(gone) // deleted after the events were sent: 404 on read
			codes, err := h.fake.Deliver(ctx, "1001", evs...)
			if err != nil || !slices.Equal(codes, []int{200}) {
				t.Fatalf("delivery: %v %v", codes, err)
			}
			if got := h.fake.Requests("POST /batch"); got != tt.wantBatch {
				t.Errorf("batch requests = %d, want %d", got, tt.wantBatch)
			}
			gets := 0
			for _, g := range gids {
				gets += h.fake.Requests("GET /tasks/" + g)
			}
			if gets != tt.wantGets {
				t.Errorf("plain reads = %d, want %d", gets, tt.wantGets)
			}
			created, deleted := 0, 0
			for _, id := range h.pub.ids() {
				switch {
				case strings.HasSuffix(id, ":created"):
					created++
				case strings.Contains(id, ":deleted"):
					deleted++
				}
			}
			if created != tt.tasks-1 || deleted != 1 {
				t.Fatalf("created %d, deleted %d; want %d and 1: %v", created, deleted, tt.tasks-1, h.pub.ids())
			}
		})
	}
	t.Run("a failed batch is retried by Asana", func(t *testing.T) {
		h := newHarness(t)
		if err := h.hook.Create(t.Context(), "1001", h.hooks.URL+"/webhooks/asana"); err != nil {
			t.Fatal(err)
		}
		a, b := h.task("a", "To do"), h.task("b", "To do")
		h.fake.SetDown(true)
		defer h.fake.SetDown(false)
		codes, _ := h.fake.Deliver(t.Context(), "1001", asanafake.Event{Action: "added", Task: a, At: h.clk.Now()},
			asanafake.Event{Action: "added", Task: b, At: h.clk.Now()})
		if !slices.Equal(codes, []int{503}) || len(h.pub.ids()) != 0 {
			t.Fatalf("codes %v, events %v; want 503 and nothing", codes, h.pub.ids())
		}
	})
}
