package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
)

// BenchmarkWebhookLoad sends b.N signed GitHub webhooks (each a new merged
// PR, which the daemon verifies, publishes and acks before it answers; the
// engine stores, matches and evaluates it meanwhile) to the running daemon
// at $RATE requests per second (default 1,000), open loop, and as many
// requests at the same rate, interleaved, to a net/http hello server on
// loopback: the same-run baseline. It reports both p99s and their ratio,
// and how many webhooks were answered 503 (the daemon could not publish
// within its deadline; their latency counts too).
func BenchmarkWebhookLoad(b *testing.B) {
	gh := githubfake.New(githubfake.WithToken("test-token"))
	if err := gh.AddRepo("acme/api", "main"); err != nil {
		b.Fatal(err)
	}
	ghSrv := httptest.NewServer(gh.Handler())
	defer ghSrv.Close()
	_, url := startDaemon(b, daemonConfig(b.TempDir(), ghSrv.URL+"/", 1<<20))
	hello := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte("hello"))
	}))
	defer hello.Close()
	rate := 1000
	fmt.Sscan(envOr("RATE", "1000"), &rate)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	hooks, hellos := make([]time.Duration, b.N), make([]time.Duration, b.N)
	var failed, refused atomic.Int64
	send := func(req *http.Request, into *time.Duration) {
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			failed.Add(1)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		*into = time.Since(start)
		if resp.StatusCode/100 != 2 {
			refused.Add(1) // 503 "not stored, retry": the publish deadline passed
		}
	}
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
		body := mergedPRPayload(100000+i, time.Now())
		hook, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		hook.Header.Set("Content-Type", "application/json")
		hook.Header.Set("X-GitHub-Event", "pull_request")
		hook.Header.Set("X-GitHub-Delivery", fmt.Sprintf("load-%d", i))
		hook.Header.Set("X-Hub-Signature-256", sign(body))
		plain, _ := http.NewRequest(http.MethodPost, hello.URL, bytes.NewReader(body))
		wg.Add(2)
		go func() { defer wg.Done(); send(hook, &hooks[i]) }()
		go func() { defer wg.Done(); send(plain, &hellos[i]) }()
	}
	wg.Wait()
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d requests failed", n)
	}
	p99 := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[min(len(d)-1, len(d)*99/100)]
	}
	hookP99, helloP99 := p99(hooks), p99(hellos)
	b.ReportMetric(float64(hookP99.Microseconds())/1000, "webhook-p99-ms")
	b.ReportMetric(float64(helloP99.Microseconds())/1000, "hello-p99-ms")
	b.ReportMetric(float64(hookP99)/float64(helloP99), "p99-ratio")
	b.ReportMetric(float64(hooks[len(hooks)/2].Microseconds())/1000, "webhook-p50-ms")
	b.ReportMetric(float64(refused.Load()), "webhook-503s")
}
