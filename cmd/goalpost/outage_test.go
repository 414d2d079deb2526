package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/goalpost/goalpost/connectors/deploy"
	"github.com/goalpost/goalpost/connectors/trello"
	"github.com/goalpost/goalpost/internal/sandbox/asanafake"
	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/internal/sandbox/trellofake"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
)

// The secrets of the outage world (test values).
const (
	outageSecret   = "outage-webhook-secret-0123"
	incidentSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	trelloCallback = "https://goalpost.example.com/webhooks/trello"
	asanaProject   = "1001"
	trelloBoard    = "b0a4d0000000000000000001"
	asanaHandshake = "asana-handshake-secret" // the X-Hook-Secret of the test's handshake
)

// natsServer is a JetStream server the daemon reaches over TCP (nats.url),
// so that the test can stop it and start it again on the same port and
// files, as an operator restarting NATS would.
type natsServer struct {
	dir  string
	port int
	srv  *server.Server
}

func startNATS(t *testing.T, dir string, port int) *natsServer {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	n := &natsServer{dir: dir, srv: ns}
	n.port = ns.Addr().(*net.TCPAddr).Port
	return n
}

func (n *natsServer) stop() {
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
}

// outageWorld is every webhook receiver goalpost has, with the fakes the
// receivers read back from.
type outageWorld struct {
	gh     *githubfake.Fake
	asana  *asanafake.Fake
	trello *trellofake.Fake
	lists  []string
	urls   map[string]string
}

func newOutageWorld(t *testing.T) *outageWorld {
	w := &outageWorld{
		gh:     githubfake.New(githubfake.WithToken("gh-token")),
		asana:  asanafake.New("asana-token"),
		trello: trellofake.New("trello-key", "trello-token", outageSecret),
		urls:   map[string]string{},
	}
	if err := w.gh.AddRepo("acme/api", "main"); err != nil {
		t.Fatal(err)
	}
	w.lists = w.trello.AddBoard(trelloBoard, "Launch", "To do", "Done")
	for name, h := range map[string]http.Handler{"github": w.gh.Handler(), "asana": w.asana, "trello": w.trello} {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		w.urls[name] = srv.URL
	}
	return w
}

func (w *outageWorld) config(dataDir, natsURL string) string {
	now := time.Now().UTC()
	return fmt.Sprintf(`data_dir = %[1]q
log_level = "error"
[server]
listen = "127.0.0.1:0"
[nats]
url = %[2]q
[github]
base_url = "%[3]s/"
token = "gh-token"
webhook_secret = %[4]q
[[github.repos]]
name = "acme/api"
[gitlab]
base_url = "http://127.0.0.1:1/api/v4"
token = "gl-token"
webhook_secret = %[4]q
[[gitlab.projects]]
path = "acme/shop"
[pagerduty]
base_url = "http://127.0.0.1:1"
token = "pd-token"
webhook_secret = %[4]q
[incidentio]
base_url = "http://127.0.0.1:1"
token = "io-token"
webhook_secret = %[5]q
[deploy]
secret = %[4]q
[jira]
base_url = "http://127.0.0.1:1"
email = "bot@acme.test"
token = "jira-token"
webhook_secret = %[4]q
projects = ["AUTH"]
[linear]
base_url = "http://127.0.0.1:1/graphql"
api_key = "lin-key"
webhook_secret = %[4]q
[asana]
base_url = %[6]q
token = "asana-token"
projects = [%[8]q]
webhooks = true
[trello]
base_url = %[7]q
key = "trello-key"
token = "trello-token"
secret = %[4]q
callback_url = %[9]q
[[trello.boards]]
id = %[10]q
done_lists = [%[11]q]
[[objectives]]
key = "o"
title = "O"
start = %[12]q
end = %[13]q
[[objectives.key_results]]
key = "k"
title = "Anything"
type = "count"
target = 10
match = 'kind != ""'
`, dataDir, natsURL, w.urls["github"], outageSecret, incidentSecret, w.urls["asana"], w.urls["trello"],
		asanaProject, trelloCallback, trelloBoard, w.lists[1],
		now.AddDate(0, 0, -30).Format(time.DateOnly), now.AddDate(0, 0, 30).Format(time.DateOnly))
}

// delivery is one signed webhook delivery the n-th time a receiver is
// exercised; each n is a new fact.
type delivery func(t *testing.T, base string, n int) *http.Request

func newPost(t *testing.T, url string, body []byte, hdr ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

func hmacSHA256(key, body []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return mac.Sum(nil)
}

func hexSig(body []byte) string { return hex.EncodeToString(hmacSHA256([]byte(outageSecret), body)) }

func (w *outageWorld) deliveries() map[string]delivery {
	t0 := time.Now().UTC().Truncate(time.Second) // the n-th fact happened n hours before t0, whenever it is sent
	when := func(n int) time.Time { return t0.Add(-time.Duration(n) * time.Hour) }
	at := func(n int) string { return when(n).Format(time.RFC3339) }
	asanaTasks := map[int]string{}
	trelloCards := map[int]string{}
	var mu sync.Mutex
	return map[string]delivery{
		"github": func(t *testing.T, base string, n int) *http.Request {
			body := mergedPRPayload(100+n, when(n))
			return newPost(t, base+"/webhooks/github", body, "X-GitHub-Event", "pull_request",
				"X-GitHub-Delivery", "gh-"+strconv.Itoa(n), "X-Hub-Signature-256", "sha256="+hexSig(body))
		},
		"gitlab": func(t *testing.T, base string, n int) *http.Request {
			body := fmt.Appendf(nil, `{"object_kind":"deployment","status":"failed","status_changed_at":%q,
				"deployment_id":%d,"environment":"production","short_sha":"846d8de0",
				"project":{"path_with_namespace":"acme/shop"},"user":{"username":"deployer"}}`,
				when(n).Format("2006-01-02 15:04:05 -0700"), 70+n)
			return newPost(t, base+"/webhooks/gitlab", body, "X-Gitlab-Token", outageSecret,
				"X-Gitlab-Event", "Deployment Hook", "Idempotency-Key", "gl-"+strconv.Itoa(n))
		},
		"pagerduty": func(t *testing.T, base string, n int) *http.Request {
			body := fmt.Appendf(nil, `{"event":{"id":"E%[1]d","event_type":"incident.triggered","occurred_at":%[2]q,
				"data":{"id":"PINC%[1]d","number":%[1]d,"status":"triggered","title":"Checkout down","urgency":"high",
				"service":{"id":"PSVC","summary":"checkout"}}}}`, n, at(n))
			return newPost(t, base+"/webhooks/pagerduty", body, "X-PagerDuty-Signature", "v1="+hexSig(body), "X-Webhook-Id", "pd-"+strconv.Itoa(n))
		},
		"incidentio": func(t *testing.T, base string, n int) *http.Request {
			body := fmt.Appendf(nil, `{"event_type":"public_incident.incident_created_v2",
				"public_incident.incident_created_v2":{"id":"01INC%[1]d","name":"Checkout down","mode":"standard",
				"created_at":%[2]q,"updated_at":%[2]q,"incident_status":{"name":"Triage","category":"triage"}}}`, n, at(n))
			key, _ := base64.StdEncoding.DecodeString(incidentSecret[len("whsec_"):])
			id, ts := "msg_"+strconv.Itoa(n), strconv.FormatInt(time.Now().Unix(), 10)
			sig := "v1," + base64.StdEncoding.EncodeToString(hmacSHA256(key, []byte(id+"."+ts+"."+string(body))))
			return newPost(t, base+"/webhooks/incidentio", body, "webhook-id", id, "webhook-timestamp", ts, "webhook-signature", sig)
		},
		"deploy": func(t *testing.T, base string, n int) *http.Request {
			body := fmt.Appendf(nil, `{"id":"ci-run-%d","repo":"acme/api","environment":"production",
				"sha":"%040d","status":"failure","started_at":%q,"finished_at":%q,"actor":"alice"}`, n, n, at(n), at(n))
			return newPost(t, base+"/webhooks/deploy", body, deploy.SignatureHeader, "sha256="+hexSig(body))
		},
		"jira": func(t *testing.T, base string, n int) *http.Request {
			body := fmt.Appendf(nil, `{"timestamp":%[1]d,"webhookEvent":"jira:issue_created","user":{"accountId":"acc-ada"},
				"issue":{"id":"1000%[2]d","key":"AUTH-%[2]d","fields":{"summary":"Passkey login","issuetype":{"name":"Story"},
				"project":{"key":"AUTH"},"status":{"name":"To Do","statusCategory":{"key":"new"}},
				"created":%[3]q,"updated":%[3]q,"labels":[]}}}`, time.Now().UnixMilli(), n,
				when(n).Format("2006-01-02T15:04:05.000-0700"))
			return newPost(t, base+"/webhooks/jira", body, "X-Hub-Signature", "sha256="+hexSig(body),
				"X-Atlassian-Webhook-Identifier", "jira-"+strconv.Itoa(n))
		},
		"linear": func(t *testing.T, base string, n int) *http.Request {
			body := fmt.Appendf(nil, `{"action":"remove","type":"Issue","createdAt":%[2]q,
				"data":{"id":"iss-%[1]d","number":%[1]d,"title":"Issue","createdAt":%[2]q,"updatedAt":%[2]q,"archivedAt":%[2]q,
				"trashed":true,"team":{"id":"team-eng","key":"ENG","name":"Engineering"}},
				"url":"https://linear.app/acme/issue/ENG-%[1]d","webhookTimestamp":%[3]d}`, n, at(n), time.Now().UnixMilli())
			return newPost(t, base+"/webhooks/linear", body, "Linear-Signature", hexSig(body), "Linear-Delivery", "lin-"+strconv.Itoa(n))
		},
		"asana": func(t *testing.T, base string, n int) *http.Request {
			mu.Lock()
			gid, ok := asanaTasks[n]
			if !ok {
				gid = w.asana.AddTask(asanafake.Task{Name: "Task " + strconv.Itoa(n), Project: asanaProject, ProjectName: "Launch"})
				asanaTasks[n] = gid
			}
			mu.Unlock()
			body := fmt.Appendf(nil, `{"events":[{"action":"added","resource":{"gid":%q,"resource_type":"task"},
				"user":{"gid":"u-1"},"created_at":%q}]}`, gid, at(0))
			return newPost(t, base+"/webhooks/asana?resource="+asanaProject, body,
				"X-Hook-Signature", hex.EncodeToString(hmacSHA256([]byte(asanaHandshake), body)))
		},
		"trello": func(t *testing.T, base string, n int) *http.Request {
			mu.Lock()
			action, ok := trelloCards[n]
			if !ok {
				id, _ := w.trello.AddCard(trelloBoard, w.lists[0], "Card "+strconv.Itoa(n), nil, nil)
				raw, _ := json.Marshal(map[string]any{"action": w.trello.Move(id, w.lists[1]), "model": map[string]any{"id": trelloBoard}})
				action = string(raw)
				trelloCards[n] = action
			}
			mu.Unlock()
			body := []byte(action)
			return newPost(t, base+"/webhooks/trello", body, "X-Trello-Webhook", trello.Sign([]byte(outageSecret), body, trelloCallback))
		},
	}
}

// send posts req and returns the status and how long the answer took.
func send(t *testing.T, req *http.Request) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", req.URL.Path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// storedIDs are the stored events' ids by source.
func storedIDs(t *testing.T, st *store.Store) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	err := st.ScanEvents(context.Background(), store.EventFilter{}, func(ev event.Event) error {
		if out[ev.Source] == nil {
			out[ev.Source] = map[string]bool{}
		}
		out[ev.Source][ev.ID] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// budgets are the receivers' publish deadlines: past it, a receiver answers
// 503 so that the sender retries instead of timing out. Each is below its
// sender's own answer deadline (the deploy document's CI has none) and
// below the server's write timeout, past which no answer can be written.
var budgets = map[string]time.Duration{
	"github": 8 * time.Second, "gitlab": 8 * time.Second, "pagerduty": 4 * time.Second,
	"incidentio": 8 * time.Second, "deploy": 8 * time.Second, "jira": 4 * time.Second,
	"linear": 4 * time.Second, "asana": 8 * time.Second, "trello": 8 * time.Second,
}

// TestWebhooksWhileNATSIsDown: with NATS stopped, every webhook receiver
// answers 503 within its deadline (never 2xx, never hanging); after NATS
// restarts on the same files, every delivery acknowledged before the stop
// is still stored, and the retried deliveries are stored too.
func TestWebhooksWhileNATSIsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for every receiver's deadline")
	}
	w := newOutageWorld(t)
	ns := startNATS(t, t.TempDir(), -1)
	cfg := w.config(t.TempDir(), fmt.Sprintf("nats://127.0.0.1:%d", ns.port))
	a, ghURL := startDaemonWith(t, cfg, func(a *app) { clear(a.pollers) }) // every event comes through a webhook
	base := ghURL[:len(ghURL)-len("/webhooks/github")]
	deliveries := w.deliveries()
	for name, d := range budgets {
		if d >= a.cfg.Server.WriteTimeout.Duration {
			t.Fatalf("%s's deadline %s is not below the server's write timeout %s", name, d, a.cfg.Server.WriteTimeout)
		}
	}
	if len(deliveries) != len(a.webhooks) || len(budgets) != len(a.webhooks) {
		t.Fatalf("%d deliveries, %d budgets for %d receivers: every receiver must be exercised", len(deliveries), len(budgets), len(a.webhooks))
	}
	hs := newPost(t, base+"/webhooks/asana?resource="+asanaProject, nil, "X-Hook-Secret", asanaHandshake)
	if code, _ := send(t, hs); code != http.StatusOK {
		t.Fatalf("asana handshake: %d", code)
	}

	for name, d := range deliveries { // before the outage: acknowledged
		if code, _ := send(t, d(t, base, 1)); code/100 != 2 {
			t.Fatalf("%s before the outage: status %d", name, code)
		}
	}
	ns.stop()

	var wg sync.WaitGroup
	for name, d := range deliveries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, took := send(t, d(t, base, 2))
			if code != http.StatusServiceUnavailable || took > budgets[name]+time.Second {
				t.Errorf("%s with NATS down: status %d after %s; want 503 within %s", name, code, took.Round(time.Millisecond), budgets[name])
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	startNATS(t, ns.dir, ns.port) // the same port and files
	waitFor(t, "nats to be ready again", func() bool { return a.conn.Ready(context.Background()) == nil })
	for name, d := range deliveries { // the senders retry
		waitFor(t, name+" to accept the retry", func() bool { code, _ := send(t, d(t, base, 2)); return code/100 == 2 })
	}
	waitFor(t, "every delivery to be stored", func() bool {
		ids := storedIDs(t, a.store)
		for name := range deliveries {
			if len(ids[name]) < 2 {
				return false
			}
		}
		return true
	})
	for name, ids := range storedIDs(t, a.store) {
		want := 2 // one fact per delivery
		if name == "github" {
			want = 4 // a merged pull request is two facts: opened, merged
		}
		if len(ids) != want {
			t.Errorf("%s: stored %d events, want %d: %v", name, len(ids), want, ids)
		}
	}
}
