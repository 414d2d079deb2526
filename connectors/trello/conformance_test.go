package trello

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/goalpost/goalpost/internal/fixtures"
	"github.com/goalpost/goalpost/pipeline/event"
)

// The shared Trello payloads (real ones, from adlio/trello and zulip) map
// as a board configured with their "Done" (or target) list would.
func TestConformance(t *testing.T) {
	dir := fixtures.Dir(t, "trello")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const adlioBoard, adlioDone = "57f039fbc0f98772398d289d", "57f03a11ab00f21e8197bef5"
	adlio := mapper{s: (&Config{Boards: []Board{{ID: adlioBoard, DoneLists: []string{adlioDone}}}}).settings()}
	t.Run("card life, newest first", func(t *testing.T) {
		var acts []action
		if err := json.Unmarshal(read("rest.card.actions.createCard-then-updateCard-listAfter-to-Done-then-closed.adlio.json"), &acts); err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for i := len(acts) - 1; i >= 0; i-- {
			ev, ok := adlio.event(&acts[i], nil)
			if !ok {
				t.Fatalf("action %s not mapped", acts[i].ID)
			}
			kinds = append(kinds, ev.Kind)
		}
		want := []string{event.KindIssueCreated, event.KindIssueUpdated, event.KindIssueUpdated, event.KindIssueUpdated,
			event.KindIssueUpdated, event.KindIssueUpdated, event.KindIssueCompleted, event.KindIssueCompleted}
		if !slices.Equal(kinds, want) {
			t.Fatalf("kinds = %v, want %v", kinds, want)
		}
		last, _ := adlio.event(&acts[0], nil) // archived in Done: completed (a unit counts once)
		if last.Attrs["status_category"] != "done" || last.Attrs["resolution"] != "" || last.Attrs["section"] != "Done" {
			t.Fatalf("archived in Done = %+v", last.Attrs)
		}
	})
	t.Run("webhook deliveries", func(t *testing.T) {
		for _, tt := range []struct {
			file, board, done, kind, actor string
		}{
			{"webhook.updateCard.listAfter.adlio.json", adlioBoard, "57f03a0e9d3013ae8f30f9a2", event.KindIssueReopened, "cfadl"}, // out of Code Review, made "done" here
			{"webhook.updateCard.listAfter.zulip.json", "53582e2da0fac5676a714277", "53582e2da0fac5676a71427a", event.KindIssueCompleted, "tomaszkolek"},
		} {
			a, err := parseDelivery(read(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			m := mapper{s: (&Config{Boards: []Board{{ID: tt.board, DoneLists: []string{tt.done}}}}).settings()}
			ev, ok := m.event(a, nil)
			if !ok || ev.Kind != tt.kind || ev.ActorHandle != tt.actor || ev.Repo != tt.board || ev.ID != "trello:"+a.ID {
				t.Errorf("%s: %+v", tt.file, ev)
			}
		}
	})
	t.Run("card read", func(t *testing.T) {
		var c card
		if err := json.Unmarshal(read("rest.card.get.adlio.json"), &c); err != nil || c.URL == "" || c.Name == "" {
			t.Fatalf("card %+v %v", c, err)
		}
	})
}
