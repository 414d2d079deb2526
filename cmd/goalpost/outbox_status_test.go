package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// parkOne queues w and parks it with reason, as the sender does after a
// permanent error.
func parkOne(t *testing.T, st *store.Store, w store.Write, reason string, now time.Time) {
	t.Helper()
	if _, err := st.EnqueueOnce(t.Context(), w, now); err != nil {
		t.Fatal(err)
	}
	ws, err := st.ClaimWrites(t.Context(), now, time.Minute, 10)
	if err != nil || len(ws) != 1 {
		t.Fatalf("claim %s: %v %v", w.Target, ws, err)
	}
	if ok, err := st.ParkWrite(t.Context(), w.Target, ws[0].Seq, reason, "", now); !ok || err != nil {
		t.Fatalf("park %s: %v %v", w.Target, ok, err)
	}
}

// status shows key-result writes and weekly report deliveries, parked ones
// with their reasons; --retry-parked requeues either by service.
func TestStatusShowsWritesAndReportDeliveries(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := daemonConfig(data, "http://127.0.0.1:1/", 4096) + `[report]
[[report.destinations]]
name = "eng"
type = "slack"
webhook_url = "${GOALPOST_TEST_SLACK_WEBHOOK_URL}"
`
	path := filepath.Join(dir, "goalpost.toml")
	if err := writeFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), filepath.Join(data, "goalpost.db"), discardLog())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	update, _ := outbox.Update{KRKey: "merged-10", Status: "on_track"}.Encode()
	parkOne(t, st, store.Write{Target: outbox.NotionPage("abc"), KRKey: "merged-10", Payload: update}, "notion: page abc is in the trash", now)
	rep := outbox.Report{Team: "", Week: "2026-W47", Destination: "eng"}
	payload, _ := rep.Encode()
	parkOne(t, st, store.Write{Target: rep.Target(), Payload: payload}, "slack webhook: status 404: no_service", now)
	_ = st.Close()

	code, out, errOut := runCLI(t, "status", "-c", path)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{
		"Key-result writes: 0 pending, 1 parked, 0 sent",
		"Report deliveries: 0 pending, 1 parked, 0 sent",
		"notion: page abc is in the trash",
		"report:eng:2026-W47/",
		"no_service",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	for _, tc := range []struct {
		name, arg, first, counts string
	}{
		{"report deliveries by service", "report", "1 parked write queued again", "Report deliveries: 1 pending, 0 parked"},
		{"key-result writes by service", "notion", "1 parked write queued again", "Key-result writes: 1 pending, 0 parked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "status", "--retry-parked", tc.arg, "-c", path)
			if code != exitOK || firstLine(out, errOut) != tc.first+"; a running daemon sends them now" || !strings.Contains(out, tc.counts) {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
		})
	}
}
