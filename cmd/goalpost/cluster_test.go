package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/natstest"
	"github.com/goalpost/goalpost/internal/sandbox"
	"github.com/goalpost/goalpost/internal/store"
)

// The acceptance test of issue 15: three `goalpost run` processes against
// one store and a 3-node NATS JetStream cluster, behind a load balancer
// that retries a failed delivery on the next replica, as a webhook sender
// does. While a few thousand signed webhooks (20 % of them sent twice)
// arrive, one goalpost replica and one NATS node are killed and restarted.
const (
	clusterPRs     = 2000 // distinct merged pull requests delivered
	clusterDupEach = 5    // every 5th delivery is sent twice (20 %)
	firstPR        = 100000
)

// TestClusterOfThreeLosesNothingCountsNothingTwice: 0 acknowledged events
// lost, 0 counted twice, key results equal to a single-node run over the
// same deliveries, each source polled by one replica at a time (from the
// fake GitHub's request log), each Notion page updated once per change and
// the weekly report sent once.
func TestClusterOfThreeLosesNothingCountsNothingTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a cluster")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	sb, err := sandbox.Start(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	polls := newPollLog(sb)
	defer polls.srv.Close()
	nc := natstest.Start(t, 3)
	st := sharedStore(t, dir)

	reps := make([]*replica, 3)
	for i := range reps {
		reps[i] = newReplica(t, bin, dir, fmt.Sprintf("r%d", i+1), clusterConfig(sb, polls, nc.URL(), st, i))
		reps[i].start(t)
	}
	lb := &balancer{reps: reps}
	begun := time.Now()
	acked := lb.deliver(t, clusterPRs, func(n int) {
		switch n {
		case clusterPRs * 3 / 10:
			reps[1].kill(t)
		case clusterPRs * 4 / 10:
			nc.Stop(2)
		case clusterPRs * 6 / 10:
			reps[1].start(t)
		case clusterPRs * 7 / 10:
			nc.Restart(2)
		}
	})
	if len(acked) < clusterPRs*9/10 {
		t.Fatalf("only %d of %d deliveries acknowledged", len(acked), clusterPRs)
	}
	t.Logf("%d deliveries acknowledged in %s", len(acked), time.Since(begun).Round(time.Millisecond))
	cfg := reps[0].config(t)
	waitSlowly(t, 60*time.Second, "every acknowledged event to be stored", func() bool {
		return len(missing(t, cfg, acked)) == 0
	})
	waitSlowly(t, 30*time.Second, "the outbox to drain", func() bool { return outboxIdle(t, cfg) })
	clusterResults, clusterEvents := results(t, cfg)
	for _, r := range reps {
		r.stop(t)
	}
	polls.check(t)
	checkNotionOncePerChange(t, sb)
	checkReportOnce(t, sb)

	single := singleNodeRun(t, bin, dir, sb, acked, clusterEvents)
	if !maps.Equal(clusterResults, single) {
		t.Errorf("key results differ from a single-node run over the same deliveries:\ncluster %v\nsingle  %v", clusterResults, single)
	}
}

// waitSlowly is waitForWithin for conditions that open the store: asked
// twice a second, not to compete with the daemons for it.
func waitSlowly(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func buildBinary(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "goalpost")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// replica is one `goalpost run` process with its own configuration file.
type replica struct {
	bin, cfgPath, addr, cfgText string
	cmd                         *exec.Cmd
}

func newReplica(t testing.TB, bin, dir, id, cfgText string) *replica {
	t.Helper()
	addr := freeAddr(t)
	cfgText = strings.Replace(cfgText, "[server]\n", fmt.Sprintf("[server]\nreplica_id = %q\nadmin_listen = \"127.0.0.1:0\"\n", id), 1)
	cfgText = regexp.MustCompile(`(?m)^listen = .*$`).ReplaceAllString(cfgText, fmt.Sprintf("listen = %q", addr))
	r := &replica{bin: bin, addr: addr, cfgText: cfgText, cfgPath: filepath.Join(dir, id+".toml")}
	if err := writeFile(r.cfgPath, cfgText); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *replica) start(t testing.TB) { t.Helper(); r.cmd = startProc(t, r.bin, r.cfgPath, r.addr) }

func (r *replica) kill(t testing.TB) {
	t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = r.cmd.Process.Wait()
}

func (r *replica) stop(t testing.TB) { t.Helper(); stopProc(t, r.cmd) }

func (r *replica) url() string { return "http://" + r.addr + "/webhooks/github" }

func (r *replica) config(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Parse(r.cfgPath, []byte(r.cfgText), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// clusterConfig is the sandbox's configuration for replica i: the NATS
// cluster, the shared store, GitHub polled every second through the poll
// log under a path naming the replica.
func clusterConfig(sb *sandbox.Sandbox, polls *pollLog, natsURL, storeSection string, i int) string {
	c := sb.Config("DATA", "127.0.0.1:0")
	c = strings.Replace(c, fmt.Sprintf("base_url = %q", sb.GitHubURL()), fmt.Sprintf("base_url = %q", polls.url(i)), 1)
	c = strings.Replace(c, `poll_interval = "20s"`, `poll_interval = "1s"`, 1)
	c = strings.Replace(c, "[engine]\n", fmt.Sprintf(`[nats]
url = %q
replicas = 3
lease_ttl = "3s"
ack_wait = "5s"

%s

[engine]
`, natsURL, storeSection), 1)
	return strings.Replace(c, `data_dir = "DATA"`, fmt.Sprintf("data_dir = %q", filepath.Join(polls.dir, fmt.Sprintf("r%d", i+1))), 1)
}

// sharedStore is the [store] section every replica shares.
func sharedStore(t testing.TB, dir string) string {
	t.Helper()
	return fmt.Sprintf("[store]\npath = %q", filepath.Join(dir, "shared.db"))
}

// balancer sends deliveries round-robin to the replicas and, like a
// webhook sender behind a load balancer, retries one that failed (refused
// connection, 5xx) on the next replica.
type balancer struct {
	reps []*replica
	next atomic.Uint64
}

// deliver sends clusterPRs merged pull requests from 8 workers, every
// clusterDupEach-th twice, calling at(n) (in order, from one goroutine)
// when the n-th is acknowledged. It returns the acknowledged PR numbers.
func (b *balancer) deliver(t testing.TB, total int, at func(n int)) map[int]bool {
	t.Helper()
	var mu sync.Mutex
	acked := map[int]bool{}
	work := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for n := range work {
				if !b.send(n) {
					continue
				}
				if n%clusterDupEach == 0 {
					b.send(n) // the same delivery again
				}
				mu.Lock()
				acked[n] = true
				k := len(acked)
				at(k) // serialized by mu
				mu.Unlock()
			}
		})
	}
	for n := firstPR; n < firstPR+total; n++ {
		work <- n
	}
	close(work)
	wg.Wait()
	return acked
}

// send delivers PR n, trying every replica in turn for up to 20 s.
func (b *balancer) send(n int) bool {
	body := clusterPRPayload(n)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r := b.reps[b.next.Add(1)%uint64(len(b.reps))]
		req, _ := http.NewRequest(http.MethodPost, r.url(), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "pull_request")
		req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("delivery-%d", n))
		req.Header.Set("X-Hub-Signature-256", signWith(sandbox.WebhookSecret, body))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

var sandboxAuthors = []string{"ana-lima", "bocarter", "chenwei", "eliwalker", "faymoreau"}

// clusterPRPayload is a merged pull request on acme/web (shipped on merge),
// every 4th labelled perf.
func clusterPRPayload(n int) []byte {
	labels := `[]`
	if n%4 == 0 {
		labels = `[{"name":"perf"}]`
	}
	at := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	return []byte(fmt.Sprintf(`{"action":"closed","number":%[1]d,
 "pull_request":{"id":%[1]d,"number":%[1]d,"state":"closed","merged":true,"title":"Change %[1]d",
  "html_url":"https://github.com/acme/web/pull/%[1]d","user":{"login":%[3]q},"labels":%[4]s,
  "created_at":"%[2]s","updated_at":"%[2]s","closed_at":"%[2]s","merged_at":"%[2]s",
  "merge_commit_sha":"%040[1]d","head":{"ref":"change-%[1]d","sha":"%040[1]d"},"base":{"ref":"main"}},
 "repository":{"id":2,"name":"web","full_name":"acme/web","owner":{"login":"acme"},"default_branch":"main"},
 "sender":{"login":%[3]q}}`, n, at, sandboxAuthors[n%len(sandboxAuthors)], labels))
}

// missing returns the acknowledged PRs whose merged event is not stored.
func missing(t testing.TB, cfg *config.Config, acked map[int]bool) []int {
	t.Helper()
	st := openStore(t, cfg)
	defer st.Close()
	var out []int
	for n := range acked {
		if _, err := st.Event(context.Background(), fmt.Sprintf("github:pr:acme/web#%d:merged", n)); err != nil {
			out = append(out, n)
		}
	}
	return out
}

func openStore(t testing.TB, cfg *config.Config) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), cfg.Store.Path, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// outboxIdle reports whether no write is pending.
func outboxIdle(t testing.TB, cfg *config.Config) bool {
	t.Helper()
	st := openStore(t, cfg)
	defer st.Close()
	counts, err := st.WriteCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, byState := range counts {
		if byState[store.WritePending] > 0 {
			return false
		}
	}
	return true
}

// results are every key result's current value, and the number of stored events.
func results(t testing.TB, cfg *config.Config) (map[string]float64, int) {
	t.Helper()
	set, dir, err := compileRules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, cfg)
	defer st.Close()
	rs, err := engine.New(set, dir, st).Results(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, r := range rs {
		out[r.KRKey] = r.Current
	}
	n, err := st.CountEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return out, n
}

// singleNodeRun runs one goalpost (embedded NATS, its own SQLite file)
// over the same sandbox and the acknowledged deliveries, each once, and
// returns its key results once it has stored as many events as the cluster.
func singleNodeRun(t *testing.T, bin, dir string, sb *sandbox.Sandbox, acked map[int]bool, events int) map[string]float64 {
	t.Helper()
	c := sb.Config(filepath.Join(dir, "single"), "127.0.0.1:0")
	c = strings.Replace(c, `poll_interval = "20s"`, `poll_interval = "1s"`, 1)
	r := newReplica(t, bin, dir, "single", c)
	r.start(t)
	defer r.stop(t)
	b := &balancer{reps: []*replica{r}}
	for _, n := range slices.Sorted(maps.Keys(acked)) {
		if !b.send(n) {
			t.Fatalf("single node: delivery %d refused", n)
		}
	}
	cfg := r.config(t)
	var got map[string]float64
	waitSlowly(t, 60*time.Second, "the single node to store the same events", func() bool {
		var n int
		got, n = results(t, cfg)
		return n >= events
	})
	return got
}

// pollLog serves the sandbox's GitHub under /r<i>/ for replica i and logs
// which replica made each request when.
type pollLog struct {
	srv *httptest.Server
	dir string
	mu  sync.Mutex
	log []pollReq
}

type pollReq struct {
	replica string
	at      time.Time
}

func newPollLog(sb *sandbox.Sandbox) *pollLog {
	p := &pollLog{}
	gh := sb.GitHub.Handler()
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
		if len(parts) == 2 && strings.HasPrefix(parts[0], "r") {
			p.mu.Lock()
			p.log = append(p.log, pollReq{parts[0], time.Now()})
			p.mu.Unlock()
			r.URL.Path = "/" + parts[1]
		}
		gh.ServeHTTP(w, r)
	}))
	return p
}

func (p *pollLog) url(i int) string { return fmt.Sprintf("%s/r%d/", p.srv.URL, i+1) }

// check fails when requests of two replicas interleave: whenever the
// replica polling GitHub changes, the new one's first request comes at
// least 500 ms after the previous one's last (a lease changes hands after
// its holder stopped, never during a poll).
func (p *pollLog) check(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	var switches []string
	for i := 1; i < len(p.log); i++ {
		prev, cur := p.log[i-1], p.log[i]
		if prev.replica == cur.replica {
			continue
		}
		gap := cur.at.Sub(prev.at)
		switches = append(switches, fmt.Sprintf("%s→%s after %s", prev.replica, cur.replica, gap.Round(time.Millisecond)))
		if gap < 500*time.Millisecond {
			t.Errorf("GitHub polled by %s and %s at once (%s apart)", prev.replica, cur.replica, gap)
		}
	}
	t.Logf("GitHub: %d requests; the poller changed %d times: %v", len(p.log), len(switches), switches)
	if len(p.log) == 0 {
		t.Error("GitHub was never polled")
	}
}

// checkNotionOncePerChange fails when a Notion page got the same update
// twice in a row (Last synced aside): an update sent once per replica, or
// once more after a crash, instead of once per change.
func checkNotionOncePerChange(t *testing.T, sb *sandbox.Sandbox) {
	t.Helper()
	last := map[string]string{}
	updates := 0
	for _, req := range sb.Notion.Log() {
		if req.Method != http.MethodPatch || !strings.HasPrefix(req.Path, "/v1/pages/") || req.Status/100 != 2 {
			continue
		}
		var body struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(req.Body, &body); err != nil {
			t.Fatalf("notion update body: %v", err)
		}
		delete(body.Properties, "Last synced")
		b, _ := json.Marshal(body.Properties)
		if last[req.Path] == string(b) {
			t.Errorf("%s updated twice with the same values: %s", req.Path, b)
		}
		last[req.Path] = string(b)
		updates++
	}
	t.Logf("Notion: %d page updates over %d pages", updates, len(last))
	if updates == 0 {
		t.Error("no Notion page was updated")
	}
}

// checkReportOnce fails unless the weekly report was posted exactly once.
func checkReportOnce(t *testing.T, sb *sandbox.Sandbox) {
	t.Helper()
	keys := map[string]int{}
	for _, m := range sb.Slack.All() {
		keys[m.Key]++
	}
	t.Logf("Slack messages by key: %v", keys)
	reports := 0
	for k, n := range keys {
		if strings.Contains(k, "report") {
			reports++
			if n != 1 {
				t.Errorf("%s posted %d times", k, n)
			}
		}
	}
	if reports == 0 {
		t.Error("no weekly report was posted")
	}
}
