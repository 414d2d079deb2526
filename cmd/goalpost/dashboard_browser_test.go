package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/goalpost/goalpost/internal/sandbox"
	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
)

var teamNames = []string{"platform", "growth", "core"}

// teamsConfig is the daemon's test configuration with n teams: ana and the
// key result merged-10 in platform, and per further team a person and an
// objective with a key result of its own.
func teamsConfig(dataDir, githubURL string, n int) string {
	cfg := daemonConfig(dataDir, githubURL, 1<<20)
	cfg = strings.Replace(cfg, "key = \"ship\"\n", "key = \"ship\"\nteam = \"platform\"\n", 1)
	cfg = strings.Replace(cfg, "time_zone = \"UTC\"\n", "time_zone = \"UTC\"\nteam = \"platform\"\n", 1)
	for i, name := range teamNames[:n] {
		cfg += fmt.Sprintf("[[teams]]\nname = %q\ntime_zone = \"Europe/Berlin\"\n", name)
		if i == 0 {
			continue
		}
		cfg += fmt.Sprintf(`[[people]]
key = "p-%[1]s"
github = "gh-%[1]s"
team = %[1]q
[[objectives]]
key = "o-%[1]s"
title = "Objective of %[1]s"
team = %[1]q
period = "%[2]s"
[[objectives.key_results]]
key = "kr-%[1]s"
title = "Deploys of %[1]s"
type = "count"
target = 20
match = 'kind == "deployment.succeeded"'
`, name, currentQuarter())
	}
	return cfg
}

func currentQuarter() string {
	now := time.Now().UTC()
	return fmt.Sprintf("%d-Q%d", now.Year(), (int(now.Month())-1)/3+1)
}

// TestDashboardInTheBrowser opens every page in headless Chromium with 1 and
// 3 teams: no console error or failed request, no serious or critical
// axe-core violation, no sideways scroll at 390 px, one chart point per
// stored snapshot, and a signed webhook updates the open overview within 2 s.
func TestDashboardInTheBrowser(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d teams", n), func(t *testing.T) { browseDashboard(t, n) })
	}
}

func browseDashboard(t *testing.T, n int) {
	tab := newTab(t)
	gh := githubfake.New(githubfake.WithToken("test-token"))
	if err := gh.AddRepo("acme/api", "main"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gh.Handler())
	defer srv.Close()
	a, hook := startDaemon(t, teamsConfig(t.TempDir(), srv.URL+"/", n))
	base := adminURL(t, a)
	for i := 1; i <= 3; i++ { // three values, three snapshots
		mergePR(t, a, hook, i)
	}
	pl := watch(t, tab)
	for _, page := range dashboardPages(n) {
		if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+page.path)); err != nil {
			t.Fatalf("%s: %v", page.path, err)
		}
		if page.axe {
			checkAxe(t, tab, page.path)
		}
		if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
			t.Fatal(err)
		}
		noSideways(t, tab, page.path)
		if ps := pl.take(); len(ps) > 0 {
			t.Errorf("%s: %s", page.path, strings.Join(ps, "; "))
		}
	}
	checkChartPoints(t, tab, a, base)
	checkLive(t, tab, a, base, hook)
	if ps := pl.take(); len(ps) > 0 {
		t.Errorf("%s", strings.Join(ps, "; "))
	}
}

// dashboardPages are the pages to open; axe runs once per page layout (it
// takes seconds a page), with one and with three teams.
func dashboardPages(n int) []struct {
	path string
	axe  bool
} {
	type page = struct {
		path string
		axe  bool
	}
	pages := []page{{"/", true}, {"/?week=" + previousWeek(), false}}
	if n == 1 {
		return append(pages, page{"/kr/merged-10", true}, page{"/baseline", true}, page{"/delivery", true}, page{"/sources", true})
	}
	pages = append(pages, page{"/kr/kr-" + teamNames[n-1], false}, page{"/delivery?team=" + teamNames[1], false}, page{"/sources", false})
	for _, name := range teamNames[:n] {
		pages = append(pages, page{"/?team=" + name, false}, page{"/baseline?team=" + name, name == teamNames[n-1]})
	}
	return pages
}

func previousWeek() string {
	y, w := time.Now().AddDate(0, 0, -7).ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// mergePR delivers a signed merged-PR webhook and waits for merged-10 to
// count it.
func mergePR(t *testing.T, a *app, hook string, number int) {
	t.Helper()
	body := mergedPRPayload(number, time.Now().Add(-time.Hour))
	if code := post(t, hook, "pull_request", fmt.Sprintf("d-%d", number), sign(body), body); code/100 != 2 {
		t.Fatalf("webhook: %d", code)
	}
	waitFor(t, fmt.Sprintf("merged-10 at %d", number), func() bool { return current(t, a, "merged-10") == float64(number) })
}

func current(t *testing.T, a *app, kr string) float64 {
	rs, err := a.engine.Results(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.KRKey == kr {
			return r.Current
		}
	}
	t.Fatalf("no key result %s", kr)
	return 0
}

// checkChartPoints: the key result's chart has one point per stored snapshot.
func checkChartPoints(t *testing.T, tab context.Context, a *app, base string) {
	t.Helper()
	snaps, err := a.engine.History(t.Context(), "merged-10", time.Now().AddDate(-1, 0, 0), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/kr/merged-10")); err != nil {
		t.Fatal(err)
	}
	points, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("svg.chart circle.pt").length`))
	if err != nil {
		t.Fatal(err)
	}
	if points != len(snaps) || points < 3 {
		t.Errorf("chart has %d points, the store %d snapshots (want one each, at least 3)", points, len(snaps))
	}
}

// checkLive: a signed webhook that moves merged-10 updates the open
// overview within 2 s, without reload.
func checkLive(t *testing.T, tab context.Context, a *app, base, hook string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	const live, value = `document.body.dataset.live || ""`, `document.querySelector("#kr-merged-10 .num").textContent`
	if v, _, err := waitText(tab, live, "", 5*time.Second); err != nil || v != "on" {
		t.Fatalf("the page did not connect to /events: %q %v", v, err)
	}
	old, err := chromedp.Run(tab, chromedp.Evaluate[string](value))
	if err != nil {
		t.Fatal(err)
	}
	body := mergedPRPayload(4, time.Now().Add(-time.Minute))
	sent := time.Now()
	if code := post(t, hook, "pull_request", "d-live", sign(body), body); code/100 != 2 {
		t.Fatalf("webhook: %d", code)
	}
	got, _, err := waitText(tab, value, old, 2*time.Second-time.Since(sent))
	if err != nil {
		t.Fatal(err)
	}
	if got == old {
		t.Fatalf("the overview still shows %s 2 s after the webhook", old)
	}
	t.Logf("overview updated %s → %s %s after the webhook", old, got, time.Since(sent).Round(time.Millisecond))
}

// TestOverviewScreenshot writes docs/img/overview.png from the sandbox's
// company (go test ./cmd/goalpost -run TestOverviewScreenshot -update).
func TestOverviewScreenshot(t *testing.T) {
	if !*updateScreenshot {
		t.Skip("writes docs/img/overview.png with -update")
	}
	tab := newTab(t)
	base := startSandboxDaemon(t)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1100, 800), chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "img", "overview.png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// polledOnce reports whether every configured source has finished a poll.
func polledOnce(t *testing.T, a *app) bool {
	hs, err := a.store.SourceHealth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, h := range hs {
		if !h.LastOK.IsZero() {
			ok++
		}
	}
	return ok == len(a.cfg.Sources())
}

// startSandboxDaemon runs the daemon on the demo's sandbox company: one
// round of polls, then four beats of its rhythm that did something (GitHub's
// by signed webhooks), so the charts have a few snapshots. It returns the admin listener's URL.
func startSandboxDaemon(t *testing.T) string {
	t.Helper()
	sb, err := sandbox.Start(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	a, hook := startDaemon(t, sb.Config(t.TempDir(), "127.0.0.1:0"))
	waitForWithin(t, time.Minute, "the first polls", func() bool { return polledOnce(t, a) })
	ctx, cancel := context.WithCancel(t.Context())
	beats := 0
	_ = sb.Simulate(ctx, hook, 300*time.Millisecond, 1, func(context.Context, string) {
		if beats++; beats == 4 {
			cancel()
		}
	})
	time.Sleep(time.Second) // the last change's snapshot
	return adminURL(t, a)
}

// TestDeliveryInTheBrowser opens the delivery page on the sandbox company
// (six weeks of deploys and shipped changes): four charts per repository
// and for every repository, a lead-time chart with a median and a p90
// point for each week something shipped, no console error or failed
// request, no serious axe-core violation, and no sideways scroll at 390 px.
func TestDeliveryInTheBrowser(t *testing.T) {
	tab := newTab(t)
	base := startSandboxDaemon(t)
	pl := watch(t, tab)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/delivery")); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, tab, "/delivery")
	got, err := chromedp.Run(tab, chromedp.Evaluate[[]int](`[document.querySelectorAll(".dcharts").length,
		document.querySelectorAll(".dcharts svg.chart").length,
		document.querySelectorAll(".dcharts svg.chart rect.bar").length,
		document.querySelectorAll(".dcharts svg.chart circle.pt.med").length,
		document.querySelectorAll(".dcharts svg.chart circle.pt.p90").length]`))
	if err != nil {
		t.Fatal(err)
	}
	// every repository, then each of the sandbox's (acme/api, acme/web, ...)
	if repos, charts, bars, med, p90 := got[0], got[1], got[2], got[3], got[4]; repos < 3 || charts != 4*repos || bars == 0 || med == 0 || med != p90 {
		t.Errorf("delivery charts: %d repositories, %d charts, %d bars, %d median and %d p90 points", repos, charts, bars, med, p90)
	}
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	noSideways(t, tab, "/delivery")
	if ps := pl.take(); len(ps) > 0 {
		t.Errorf("/delivery: %s", strings.Join(ps, "; "))
	}
}
