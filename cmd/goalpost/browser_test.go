package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/goalpost/goalpost/internal/store/pgtest"
)

var updateScreenshot = flag.Bool("update", false, "rewrite docs/img/overview.png from the sandbox")

// browser is the one headless Chromium every browser test of this binary
// shares (tabs are cheap, starts are not); TestMain stops it.
var browser struct {
	once   sync.Once
	ctx    context.Context
	stop   func()
	err    error
	absent bool
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.stop != nil {
		browser.stop()
	}
	pgtest.Stop() // the PostgreSQL server of TestStoreCopySQLiteToPostgres and the store benchmark
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// newTab opens a tab in the shared browser, skipping the test when
// Chromium is not installed (failing in CI, where .ci/run installs it).
func newTab(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(startBrowser)
	if browser.absent {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found; CI must install it (apt-get install -y chromium)")
		}
		t.Skip("chromium not installed")
	}
	if browser.err != nil {
		t.Fatalf("start chromium: %v", browser.err)
	}
	tab, cancel := chromedp.NewContext(browser.ctx)
	t.Cleanup(cancel)
	return tab
}

func startBrowser() {
	path := ""
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		browser.absent = true
		return
	}
	dir, err := os.MkdirTemp("", "goalpost-chromium-")
	if err != nil {
		browser.err = err
		return
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("hide-scrollbars", true), chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 900))
	bctx, bcancel := chromedp.NewContext(actx)
	browser.ctx = bctx
	browser.stop = func() { bcancel(); acancel(); _ = os.RemoveAll(dir) }
	browser.err = chromedp.Do(bctx)
}

// pageLog collects what a tab reports as wrong: console errors, uncaught
// exceptions and failed requests (network errors and HTTP >= 400).
type pageLog struct {
	mu       sync.Mutex
	problems []string
}

func watch(t *testing.T, tab context.Context) *pageLog {
	t.Helper()
	pl := &pageLog{}
	err := chromedp.Listen(tab, func(ev any) {
		var p string
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				p = "console error"
				for _, a := range ev.Args {
					p += " " + string(a.Value)
				}
			}
		case *runtime.EventExceptionThrown:
			p = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				p += " " + ev.ExceptionDetails.Exception.Description
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				p = "log error: " + ev.Entry.Text + " " + ev.Entry.URL
			}
		case *network.EventLoadingFailed:
			if !ev.Canceled {
				p = "request failed: " + ev.ErrorText
			}
		case *network.EventResponseReceived:
			if ev.Response.Status >= 400 {
				p = fmt.Sprintf("HTTP %d: %s", ev.Response.Status, ev.Response.URL)
			}
		}
		if p != "" {
			pl.mu.Lock()
			pl.problems = append(pl.problems, p)
			pl.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// take returns and clears the problems seen so far.
func (pl *pageLog) take() []string {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	out := pl.problems
	pl.problems = nil
	return out
}

var axeSource = sync.OnceValues(func() ([]byte, error) { return os.ReadFile("testdata/axe/axe.min.js") })

// axeViolation is one serious or critical finding of axe-core.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAxe injects the vendored axe-core into the open page and fails on
// every serious or critical violation.
func checkAxe(t *testing.T, tab context.Context, page string) {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Evaluate[*runtime.RemoteObject](string(src))); err != nil {
		t.Fatalf("%s: inject axe: %v", page, err)
	}
	found, err := chromedp.Run(tab, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
			.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.html)})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe: %v", page, err)
	}
	for _, v := range found {
		t.Errorf("%s: axe %s (%s): %s; e.g. %s", page, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, " | "))
	}
}

// noSideways fails when the open page is wider than its viewport.
func noSideways(t *testing.T, tab context.Context, page string) {
	t.Helper()
	wide, err := chromedp.Run(tab, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if err != nil {
		t.Fatal(err)
	}
	if wide[0] > wide[1] {
		t.Errorf("%s scrolls sideways at %d px: %d px wide", page, wide[1], wide[0])
	}
}

// waitText polls js (a string expression) until it differs from old, for
// at most d; it returns the new value and how long it took.
func waitText(tab context.Context, js, old string, d time.Duration) (string, time.Duration, error) {
	start := time.Now()
	for {
		v, err := chromedp.Run(tab, chromedp.Evaluate[string](js))
		if err != nil {
			return "", 0, err
		}
		if v != old || time.Since(start) > d {
			return v, time.Since(start), nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}
