package main

import (
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/internal/sandbox/notionfake"
)

// BenchmarkWebhookToNotion measures, through the whole running daemon, the
// time from a signed GitHub webhook arriving to the Notion page update for
// the key result it moved being sent: verify → publish (JetStream ack) →
// consume → store + evaluate + outbox (one transaction) → writeback sender →
// PATCH /v1/pages/{id} on a fake Notion on loopback. It reports p50 and p99.
// NOTION_RPS sets the Notion rate limit (default 100: the pipeline alone;
// with the real 3 rps, one change a second still goes straight through).
func BenchmarkWebhookToNotion(b *testing.B) {
	gh := githubfake.New(githubfake.WithToken("test-token"))
	if err := gh.AddRepo("acme/api", "main"); err != nil {
		b.Fatal(err)
	}
	ghSrv := httptest.NewServer(gh.Handler())
	defer ghSrv.Close()
	nf := notionfake.New("notion-token")
	db, _ := nf.AddDatabase("", "Key results", notionfake.GoalsSchema())
	page, err := nf.AddPage(db, map[string]any{"Name": "Merge 10 PRs", "Key": "merged-10"})
	if err != nil {
		b.Fatal(err)
	}
	nSrv := httptest.NewServer(nf)
	defer nSrv.Close()

	var mu sync.Mutex
	patched := make(chan time.Time, 1)
	nf.OnRequest(func(r notionfake.Request) {
		if r.Route == "PATCH /v1/pages/{id}" && r.Status == 200 {
			mu.Lock()
			defer mu.Unlock()
			select {
			case patched <- r.At:
			default:
			}
		}
	})
	text := daemonConfig(b.TempDir(), ghSrv.URL+"/", 1<<20)
	text = strings.Replace(text, `match = 'kind == "pull_request.merged"'`, `match = 'kind == "pull_request.merged"'`+"\nnotion_page = \""+page+"\"", 1)
	text += fmt.Sprintf("[notion]\nbase_url = %q\ntoken = \"notion-token\"\nrequests_per_second = %s\ncheckin = \"off\"\n", nSrv.URL+"/v1/", envOr("NOTION_RPS", "100"))
	_, url := startDaemon(b, text)

	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := mergedPRPayload(1000+i, time.Now())
		start := time.Now()
		if code := post(b, url, "pull_request", fmt.Sprintf("bench-%d", i), sign(body), body); code/100 != 2 {
			b.Fatalf("webhook %d: %d", i, code)
		}
		select {
		case at := <-patched:
			lat = append(lat, at.Sub(start))
		case <-time.After(10 * time.Second):
			b.Fatalf("no Notion update within 10s of webhook %d", i)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
}
