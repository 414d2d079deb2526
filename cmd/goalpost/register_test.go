package main

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/asanafake"
	"github.com/goalpost/goalpost/internal/sandbox/trellofake"
)

// The daemon registers the Asana and Trello webhooks itself when their
// public URLs are configured: the first start creates them (Asana's
// handshake and Trello's HEAD check answered by the running server), a
// restart finds them and creates nothing.
func TestRunRegistersWebhooksOnce(t *testing.T) {
	as := asanafake.New("asana-token")
	as.AddTask(asanafake.Task{Name: "Task", Project: "1001", ProjectName: "Launch", CreatedAt: time.Now()})
	tr := trellofake.New("trello-key", "trello-token", "trello-app-secret")
	lists := tr.AddBoard("5a1b2c3d4e5f60718293a4b5", "Launch", "To do", "Done")
	asrv, tsrv := httptest.NewServer(as), httptest.NewServer(tr)
	defer asrv.Close()
	defer tsrv.Close()
	addr := freeAddr(t)
	now := time.Now().UTC()
	cfg := fmt.Sprintf(`data_dir = %[1]q
log_level = "error"
[server]
listen = %[2]q
admin_listen = "127.0.0.1:0"
[asana]
base_url = %[3]q
token = "asana-token"
projects = ["1001"]
webhook_url = "http://%[2]s/webhooks/asana"
[trello]
base_url = %[4]q
key = "trello-key"
token = "trello-token"
secret = "trello-app-secret"
callback_url = "http://%[2]s/webhooks/trello"
[[trello.boards]]
id = "5a1b2c3d4e5f60718293a4b5"
done_lists = [%[5]q]
[[objectives]]
key = "o"
title = "O"
start = %[6]q
end = %[7]q
[[objectives.key_results]]
key = "k"
title = "Anything"
type = "count"
target = 10
match = 'kind != ""'
`, filepath.Join(t.TempDir(), "data"), addr, asrv.URL, tsrv.URL, lists[1],
		now.AddDate(0, 0, -30).Format(time.DateOnly), now.AddDate(0, 0, 30).Format(time.DateOnly))

	for start := 1; start <= 2; start++ {
		t.Run(fmt.Sprintf("start %d", start), func(t *testing.T) { // its cleanup stops the daemon
			startDaemonWith(t, cfg, nil)
			waitFor(t, "the webhooks to be checked", func() bool {
				return as.Requests("GET /webhooks") >= start && tr.Requests("GET /tokens/trello-token/webhooks") >= start
			})
			waitFor(t, "one webhook each", func() bool { return len(as.Webhooks()) == 1 && len(tr.Webhooks()) == 1 })
		})
	}
	if n, m := as.Requests("POST /webhooks"), tr.Requests("POST /webhooks"); n != 1 || m != 1 {
		t.Fatalf("webhooks created: asana %d, trello %d; want 1 each over two starts", n, m)
	}
	if hs := as.Webhooks(); hs[0].Target != "http://"+addr+"/webhooks/asana?resource=1001" || !hs[0].Active {
		t.Fatalf("asana webhook %+v", hs[0])
	}
}
