package report

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/rules"
)

// chromium returns the headless browser to check the HTML page with. It
// skips the test when there is none, except in CI (CI=true), where the
// browser is installed and its absence is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found; CI must install it (apt-get install -y chromium)")
	}
	t.Skip("chromium not installed")
	return ""
}

// runChromium runs headless chromium on page with extra flags and returns
// its standard output.
func runChromium(t *testing.T, bin, page string, flags ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
		"--user-data-dir=" + t.TempDir(),
	}, flags...)
	args = append(args, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", flags, err, tail(stderr.String(), 2000))
	}
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func writePage(t *testing.T, r *Report) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	var b bytes.Buffer
	if err := HTML(r, &b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The page renders in a real browser and the rendered DOM shows every key
// result and the whole baseline grid.
func TestHTMLInBrowserDOM(t *testing.T) {
	bin := chromium(t)
	r := buildFixed(t)
	dom := string(runChromium(t, bin, writePage(t, r), "--dump-dom"))
	if !strings.Contains(dom, "<h1>"+htmlText(r.title())+"</h1>") {
		t.Fatalf("no title in the rendered DOM:\n%s", tail(dom, 500))
	}
	for _, o := range r.Objectives {
		for _, k := range o.KRs {
			for _, want := range []string{
				fmt.Sprintf(`<article class="kr st-%s" id="kr-%s">`, statusClass(k.Status), k.Key),
				htmlText(k.label()), htmlText(k.currentTarget()),
			} {
				if !strings.Contains(dom, want) {
					t.Errorf("rendered DOM lacks %q", want)
				}
			}
		}
	}
	if n := strings.Count(dom, `<li class="st-`); n != r.KRCount() {
		t.Errorf("status strip has %d squares, want %d", n, r.KRCount())
	}
	grid := between(dom, `<table class="grid">`, `</table>`)
	for _, w := range r.Baseline.Weeks {
		if !strings.Contains(grid, "<th scope=\"col\">"+w.String()+"</th>") {
			t.Errorf("grid lacks week %s", w)
		}
	}
	for _, row := range r.Baseline.Rows {
		if !strings.Contains(grid, `<th scope="row">`+htmlText(row.Name)+`</th>`) {
			t.Errorf("grid lacks %s", row.Name)
		}
	}
	if n := strings.Count(grid, "<td class=\"c-"); n != len(r.Baseline.Rows)*len(r.Baseline.Weeks) {
		t.Errorf("grid has %d cells, want %d", n, len(r.Baseline.Rows)*len(r.Baseline.Weeks))
	}
	if strings.Contains(dom, "<script") {
		t.Error("the page runs a script")
	}
	for _, ext := range []string{`src="http`, `href="//`, `<link `, "@import", "url("} {
		if strings.Contains(dom, ext) {
			t.Errorf("the page loads an external asset (%s)", ext)
		}
	}
}

// A screenshot at a fixed size shows the status colours where the layout
// puts them: the strip squares (fixed pixel geometry, independent of fonts),
// the progress bars and the grid cells.
func TestHTMLInBrowserScreenshot(t *testing.T) {
	bin := chromium(t)
	r := buildFixed(t)
	shot := filepath.Join(t.TempDir(), "report.png")
	const w, h = 1200, 3000
	runChromium(t, bin, writePage(t, r), "--screenshot="+shot, fmt.Sprintf("--window-size=%d,%d", w, h))
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
	}
	if c := img.At(w-10, 5); !near(c, "ffffff") {
		t.Errorf("strip background at top right is %v, want white", c)
	}
	i := 0
	for _, o := range r.Objectives {
		for _, k := range o.KRs {
			// Square i: 24px wide, 8px gap, starting 24px from the left and 16px from the top.
			x, y := 24+32*i+12, 16+12
			if c := img.At(x, y); !near(c, statusColor(k.Status)) {
				t.Errorf("strip square %d (%s, %s) at (%d,%d) is %v, want #%s", i, k.Key, k.Status, x, y, c, statusColor(k.Status))
			}
			i++
		}
	}
	if c := img.At(24+32*i+12, 28); !near(c, "ffffff") {
		t.Errorf("after the last square (%d) the strip is %v, want white", i, c)
	}
	counts := colourCounts(img)
	for _, st := range []string{"on_track", "at_risk", "off_track", "done", "stale"} {
		// 576 strip pixels + the card border and progress bar.
		if n := counts[statusColor(st)]; n < 2000 {
			t.Errorf("%s colour #%s covers %d pixels, want a card and a bar (≥ 2000)", st, statusColor(st), n)
		}
	}
	for _, cell := range []string{"dafbe1", "fff8c5", "ffebe9", "eaeef2"} {
		if counts[cell] < 500 {
			t.Errorf("grid cell colour #%s covers %d pixels", cell, counts[cell])
		}
	}
}

// The print stylesheet renders: printing to PDF gives a PDF.
func TestHTMLInBrowserPrint(t *testing.T) {
	bin := chromium(t)
	pdf := filepath.Join(t.TempDir(), "report.pdf")
	runChromium(t, bin, writePage(t, buildFixed(t)), "--print-to-pdf="+pdf, "--no-pdf-header-footer")
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) || len(b) < 10_000 {
		t.Errorf("print output is %d bytes, not a PDF of the report", len(b))
	}
}

func near(c color.Color, hex string) bool {
	var want [3]uint8
	fmt.Sscanf(hex, "%02x%02x%02x", &want[0], &want[1], &want[2])
	r, g, b, _ := c.RGBA()
	got := [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
	for i := range got {
		if d := got[i] - int(want[i]); d > 6 || d < -6 {
			return false
		}
	}
	return true
}

// colourCounts counts pixels by exact colour (hex, no #).
func colourCounts(img image.Image) map[string]int {
	out := map[string]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out[fmt.Sprintf("%02x%02x%02x", r>>8, g>>8, bl>>8)]++
		}
	}
	return out
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// htmlText is how the browser serializes text: & < > escaped.
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// statusColor is the colour html.tmpl's CSS gives a status (hex, no #): what
// the screenshot must show, kept here apart from the template it checks.
func statusColor(s string) string {
	switch s {
	case rules.StatusOnTrack:
		return "1a7f37"
	case rules.StatusAtRisk:
		return "bf8700"
	case rules.StatusOffTrack:
		return "cf222e"
	case rules.StatusDone:
		return "0969da"
	}
	return "6e7781" // stale and unknown: grey, never red
}
