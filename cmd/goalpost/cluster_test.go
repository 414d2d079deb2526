package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
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
	"github.com/goalpost/goalpost/internal/store/pgtest"
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
// same deliveries, each polled source (GitHub, Trello) polled by one
// replica at a time (from the fakes' request logs), each Notion page
// updated once per change and the weekly report sent once.
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
	github, notion := newProxyLog(sb.GitHub.Handler()), newProxyLog(sb.Notion)
	trello := newProxyLog(reverseProxy(t, sb.TrelloURL()))
	polled := map[string]*proxyLog{"github": github, "trello": trello}
	for _, p := range []*proxyLog{github, notion, trello} {
		defer p.srv.Close()
	}
	nc := natstest.Start(t, 3)
	st := sharedStore(t, dir)

	reps := make([]*replica, 3)
	for i := range reps {
		reps[i] = newReplica(t, bin, dir, fmt.Sprintf("r%d", i+1), clusterConfig(sb, polled, notion, nc.URL(), st, dir, i))
		reps[i].start(t)
	}
	lb := &balancer{reps: reps}
	begun := time.Now()
	var killedAt time.Time
	victim := 0
	acked := lb.deliver(t, clusterPRs, func(n int) {
		switch n {
		case clusterPRs * 3 / 10: // the replica polling GitHub
			victim = poller(github.requests())
			reps[victim].kill(t)
			killedAt = time.Now()
		case clusterPRs * 4 / 10:
			nc.Stop(2)
		case clusterPRs * 6 / 10: // once others poll what it polled (a restart under the same id takes its leases back)
			waitForWithin(t, 30*time.Second, "other replicas to poll the killed one's sources", func() bool {
				for _, p := range polled {
					if poller(p.requests()) == victim {
						return false
					}
				}
				return true
			})
			reps[victim].start(t)
		case clusterPRs * 7 / 10:
			nc.Restart(2)
		}
	})
	if len(acked) < clusterPRs*9/10 {
		t.Fatalf("only %d of %d deliveries acknowledged", len(acked), clusterPRs)
	}
	t.Logf("%d deliveries acknowledged in %s", len(acked), time.Since(begun).Round(time.Millisecond))
	cfg := reps[0].config(t)
	waitStored(t, cfg, acked)
	delivered := time.Now()
	waitSlowly(t, 60*time.Second, "a poll of every source after the deliveries", func() bool { return polledSince(t, cfg, delivered) })
	// A write that failed while a replica or a NATS node was down is retried
	// after the outbox's backoff (30 s, then 1 m): allow two retries.
	waitSlowly(t, 3*time.Minute, "the outbox to drain", func() bool { return outboxIdle(t, cfg) })
	clusterResults, _ := results(t, cfg)
	// What the replicas did while all ran: once they stop one by one, each
	// hands its leases to one still running (ADR 34: a stopping holder
	// deletes its key), which may poll at once, any time after.
	logs := map[string][]proxied{}
	for source, p := range polled {
		logs[source] = p.requests()
	}
	notionLog := notion.requests()
	for _, r := range reps {
		r.stop(t)
	}
	killed := fmt.Sprintf("r%d", victim+1)
	for _, source := range slices.Sorted(maps.Keys(logs)) {
		checkOnePoller(t, source, logs[source], killed, killedAt)
	}
	checkNotionOncePerChange(t, notionLog, killed, killedAt)
	checkReportOnce(t, sb)

	singleNodeRun(t, bin, dir, sb, acked, clusterResults)
}

// waitStored waits until every acknowledged event is stored, and fails
// when the number missing stops going down for a minute: lost, not slow
// (a loaded machine can take minutes to process a few thousand).
func waitStored(t *testing.T, cfg *config.Config, acked map[int]bool) {
	t.Helper()
	best, since := len(acked)+1, time.Now()
	for {
		n := len(missing(t, cfg, acked))
		switch {
		case n == 0:
			return
		case n < best:
			best, since = n, time.Now()
		case time.Since(since) > time.Minute:
			t.Fatalf("%d acknowledged events are still not stored, none stored in the last minute", n)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

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

// built is the goalpost binary the tests that run processes share, built
// once per test binary (a build takes tens of seconds on a loaded
// machine); TestMain removes it.
var built struct {
	once     sync.Once
	dir, bin string
	err      error
}

// buildBinary returns the shared goalpost binary, building it on first
// use (the directory argument is not used any more).
func buildBinary(t testing.TB, _ string) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "goalpost-test-bin"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "goalpost")
		if out, err := exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("%w\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatalf("build: %v", built.err)
	}
	return built.bin
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
// cluster, the shared store, GitHub (polled every second), Trello (every
// 30 s, its least) and Notion through proxies that tell the replicas apart.
func clusterConfig(sb *sandbox.Sandbox, polled map[string]*proxyLog, notion *proxyLog, natsURL, storeSection, dir string, i int) string {
	c := sb.Config(filepath.Join(dir, fmt.Sprintf("r%d", i+1)), "127.0.0.1:0")
	c = strings.Replace(c, fmt.Sprintf("base_url = %q", sb.GitHubURL()), fmt.Sprintf("base_url = %q", polled["github"].url(i, "")), 1)
	c = strings.Replace(c, fmt.Sprintf("base_url = %q", sb.TrelloURL()), fmt.Sprintf("base_url = %q", polled["trello"].url(i, "")), 1)
	c = strings.Replace(c, fmt.Sprintf("base_url = %q", sb.NotionURL()), fmt.Sprintf("base_url = %q", notion.url(i, "v1/")), 1)
	c = strings.Replace(c, `poll_interval = "20s"`, `poll_interval = "1s"`, 1)
	return strings.Replace(c, "[engine]\n", fmt.Sprintf(`[nats]
url = %q
replicas = 3
lease_ttl = "3s"
ack_wait = "5s"

[writeback]
lease = "10s" # a killed replica's claimed writes are sent by another this soon

%s

[engine]
`, natsURL, storeSection), 1)
}

// sharedStore is the [store] section every replica shares: a schema of
// its own on the test PostgreSQL server (pgtest; the test skips without
// one, fails in CI).
func sharedStore(t testing.TB, dir string) string {
	t.Helper()
	return fmt.Sprintf("[store]\ndriver = \"postgres\"\ndsn = %q", pgtest.DSN(t, fmt.Sprintf("%s/%d", t.Name(), time.Now().UnixNano())))
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
	st := openTestStore(t, cfg)
	defer st.Close()
	var out []int
	for n := range acked {
		if _, err := st.Event(context.Background(), fmt.Sprintf("github:pr:acme/web#%d:merged", n)); err != nil {
			out = append(out, n)
		}
	}
	return out
}

func openTestStore(t testing.TB, cfg *config.Config) *store.Store {
	t.Helper()
	st, err := openStore(context.Background(), cfg.Store, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// polledSince reports whether every source has a successful poll after t0.
func polledSince(t testing.TB, cfg *config.Config, t0 time.Time) bool {
	t.Helper()
	st := openTestStore(t, cfg)
	defer st.Close()
	hs, err := st.SourceHealth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		if !h.LastOK.After(t0) {
			return false
		}
	}
	return len(hs) > 0
}

// outboxIdle reports whether no write is pending.
func outboxIdle(t testing.TB, cfg *config.Config) bool {
	t.Helper()
	st := openTestStore(t, cfg)
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
	st := openTestStore(t, cfg)
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
// fails unless its key results come to equal want.
func singleNodeRun(t *testing.T, bin, dir string, sb *sandbox.Sandbox, acked map[int]bool, want map[string]float64) {
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
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, _ = results(t, cfg)
		if maps.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("key results differ from a single-node run over the same deliveries:\ncluster %v\nsingle  %v", want, got)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// reverseProxy is a handler that forwards to the fake at base (the
// sandbox's Trello, which has no exported handler).
func reverseProxy(t testing.TB, base string) http.Handler {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return httputil.NewSingleHostReverseProxy(u)
}

// proxyLog serves a fake under /r<i>/ for replica i and logs which
// replica made each request when: the fakes' own logs cannot tell the
// replicas apart.
type proxyLog struct {
	srv *httptest.Server
	mu  sync.Mutex
	log []proxied
}

type proxied struct {
	replica, method, path string
	body                  []byte
	at                    time.Time
}

func newProxyLog(h http.Handler) *proxyLog {
	p := &proxyLog{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
		if len(parts) == 2 && strings.HasPrefix(parts[0], "r") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.URL.Path = "/" + parts[1]
			p.mu.Lock()
			p.log = append(p.log, proxied{parts[0], r.Method, r.URL.Path, body, time.Now()})
			p.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	return p
}

// url is the fake's base URL for replica i, with suffix (e.g. "v1/").
func (p *proxyLog) url(i int, suffix string) string {
	return fmt.Sprintf("%s/r%d/%s", p.srv.URL, i+1, suffix)
}

func (p *proxyLog) requests() []proxied {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.log)
}

// poller is the index of the replica that made the last request.
func poller(log []proxied) int {
	if len(log) == 0 {
		return 0
	}
	var i int
	_, _ = fmt.Sscanf(log[len(log)-1].replica, "r%d", &i)
	return max(i-1, 0)
}

// checkOnePoller fails when two replicas polled source at once (log is
// what they did while all ran): whenever the replica making its requests
// changes, the new one's first request comes at least 500 ms after the
// previous one's last (a lease changes
// hands after its holder stopped, never during a poll; overlapping polls
// interleave their requests); and, when the killed replica was polling
// source, unless another replica polled it within 30 s of its death.
func checkOnePoller(t *testing.T, source string, log []proxied, killed string, killedAt time.Time) {
	t.Helper()
	var switches []string
	var takeover time.Duration
	wasPolling := false
	for i := 1; i < len(log); i++ {
		prev, cur := log[i-1], log[i]
		if prev.replica == killed && prev.at.Before(killedAt) && !cur.at.Before(killedAt) {
			wasPolling = true // the killed replica made the last request before its death
		}
		if prev.replica == cur.replica {
			continue
		}
		gap := cur.at.Sub(prev.at)
		switches = append(switches, fmt.Sprintf("%s→%s after %s", prev.replica, cur.replica, gap.Round(time.Millisecond)))
		if gap < 500*time.Millisecond {
			t.Errorf("%s polled by %s and %s at once (%s apart)", source, prev.replica, cur.replica, gap)
		}
		if prev.replica == killed && takeover == 0 && cur.at.After(killedAt) {
			takeover = cur.at.Sub(killedAt)
		}
	}
	t.Logf("%s: %d requests; the poller changed %d times: %v", source, len(log), len(switches), switches)
	if len(log) == 0 {
		t.Errorf("%s was never polled", source)
	}
	if !wasPolling {
		return
	}
	t.Logf("%s: its poller %s was killed; another replica polled %s later", source, killed, takeover.Round(time.Millisecond))
	if takeover == 0 || takeover > 30*time.Second {
		t.Errorf("%s's poller %s died and no other replica polled within 30 s", source, killed)
	}
}

// checkNotionOncePerChange fails when a Notion page got the same update
// twice in a row (Last synced aside): an update sent once per replica, or
// once more after a crash, instead of once per change. The one exception
// is an update the killed replica sent in the last ack_wait before its
// death (sent, not yet recorded as sent): the survivors send it again, as
// any sender that crashes between the request and its commit must.
func checkNotionOncePerChange(t *testing.T, log []proxied, killed string, killedAt time.Time) {
	t.Helper()
	type update struct {
		props string
		p     proxied
	}
	last := map[string]update{}
	updates := 0
	for _, req := range log {
		if req.method != http.MethodPatch || !strings.HasPrefix(req.path, "/v1/pages/") {
			continue
		}
		var body struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(req.body, &body); err != nil {
			t.Fatalf("notion update body: %v", err)
		}
		delete(body.Properties, "Last synced")
		b, _ := json.Marshal(body.Properties)
		prev, ok := last[req.path]
		switch {
		case !ok || prev.props != string(b):
		case prev.p.replica == killed && killedAt.Sub(prev.p.at) < 5*time.Second && prev.p.at.Before(killedAt):
			t.Logf("%s: %s's update %s before its SIGKILL sent again by %s", req.path, killed, killedAt.Sub(prev.p.at).Round(time.Millisecond), req.replica)
		default:
			t.Errorf("%s updated twice with the same values (by %s, then %s): %.200s", req.path, prev.p.replica, req.replica, b)
		}
		last[req.path] = update{string(b), req}
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
