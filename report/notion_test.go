package report

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/writeback"
)

const (
	notionToken  = "secret_NOTIONTOKEN1234"
	notionParent = "393abc1e-edcd-80f3-813b-e205934558c6"
)

func newTestNotion(t *testing.T, f *fakeNotion, token string, waits *[]time.Duration) *NotionPages {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	sleep := func(_ context.Context, d time.Duration) error {
		if waits != nil {
			*waits = append(*waits, d)
		}
		return nil
	}
	c, err := notion.NewClient(&notion.Config{BaseURL: srv.URL + "/v1/", Token: secret.String(token), RequestsPerSecond: 1000}, nil, nil, notion.WithSleep(sleep))
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNotionPages(c, strings.ReplaceAll(notionParent, "-", ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type progressLog struct{ got []Progress }

func (p *progressLog) confirm(_ context.Context, pr Progress) error {
	p.got = append(p.got, pr)
	return nil
}

func (p *progressLog) last() Progress {
	if len(p.got) == 0 {
		return Progress{}
	}
	return p.got[len(p.got)-1]
}

func blockTypes(r *Report) []string {
	var out []string
	for _, b := range notionBlocks(r) {
		out = append(out, string(b.GetType()))
	}
	return out
}

func TestNotionPagesDeliver(t *testing.T) {
	big, err := Build(t.Context(), bigSource(t, 30, 3, 5), platform, week47, reportTime, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		r       *Report
		appends int
	}{
		{name: "fits the create request", r: buildFixed(t)},
		{name: "long report appended in batches of 100", r: big, appends: (len(notionBlocks(big)) - 1) / 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeNotion(t, notionToken, notionParent)
			n := newTestNotion(t, f, notionToken, nil)
			var p progressLog
			if err := n.Deliver(t.Context(), tc.r, Progress{}, p.confirm); err != nil {
				t.Fatal(err)
			}
			title, types := f.page(p.last().Ref)
			if title != "Weekly check-in — platform — 2026-W47" {
				t.Errorf("title = %q", title)
			}
			if want := blockTypes(tc.r); strings.Join(types, ",") != strings.Join(want, ",") {
				t.Errorf("page has %d blocks, want %d in order", len(types), len(want))
			}
			if got := f.count("PATCH children"); got != tc.appends || f.count("POST pages") != 1 {
				t.Errorf("%d creates, %d appends; want 1, %d", f.count("POST pages"), got, tc.appends)
			}
			if p.last().Parts != len(types) {
				t.Errorf("confirmed %d parts of %d", p.last().Parts, len(types))
			}
			// Delivering again with the confirmed progress writes nothing.
			before := f.count("POST pages") + f.count("PATCH children")
			if err := n.Deliver(t.Context(), tc.r, p.last(), p.confirm); err != nil {
				t.Fatal(err)
			}
			if after := f.count("POST pages") + f.count("PATCH children"); after != before {
				t.Errorf("redelivery wrote %d times", after-before)
			}
		})
	}
}

// Notion applied a write but the answer was lost (504): the write is not
// retried blindly; the next attempt finds the page and adds only what is
// missing, even with no recorded progress (a crash before recording).
func TestNotionPagesResumeAfterLostAnswer(t *testing.T) {
	big, _ := Build(t.Context(), bigSource(t, 30, 3, 5), platform, week47, reportTime, 4)
	for _, tc := range []struct {
		name, kind string
		keep       bool // resume with the recorded progress (else: none)
	}{
		{name: "page created, crash before recording", kind: "POST pages"},
		{name: "page created, progress recorded", kind: "POST pages", keep: true},
		{name: "append applied, crash before recording", kind: "PATCH children"},
		{name: "append applied, progress recorded", kind: "PATCH children", keep: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeNotion(t, notionToken, notionParent)
			f.fail[tc.kind] = []int{504}
			n := newTestNotion(t, f, notionToken, nil)
			var p progressLog
			err := n.Deliver(t.Context(), big, Progress{}, p.confirm)
			if err == nil || writeback.IsPermanent(err) {
				t.Fatalf("first attempt: err = %v, want a retryable error", err)
			}
			resume := Progress{}
			if tc.keep {
				resume = p.last()
			}
			if err := n.Deliver(t.Context(), big, resume, p.confirm); err != nil {
				t.Fatal(err)
			}
			_, parents := f.page(notionParent)
			if len(parents) != 1 {
				t.Fatalf("parent has %d child pages, want 1", len(parents))
			}
			_, types := f.page(p.last().Ref)
			if want := blockTypes(big); strings.Join(types, ",") != strings.Join(want, ",") {
				t.Errorf("page has %d blocks, want exactly %d", len(types), len(want))
			}
		})
	}
}

func TestNotionPagesErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		token     string
		parent    string // pages the fake knows
		fail      map[string][]int
		permanent bool
		want      string
	}{
		{name: "parent not shared", token: notionToken, parent: "11111111-1111-1111-1111-111111111111", permanent: true, want: "object_not_found"},
		{name: "bad token", token: "secret_WRONG", parent: notionParent, permanent: true, want: "unauthorized (http 401)"},
		{name: "server error on read is retried, then reported", token: notionToken, parent: notionParent,
			fail: map[string][]int{"GET children": {500, 500, 500, 500, 500}}, want: "http 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeNotion(t, notionToken, tc.parent)
			if tc.fail != nil {
				f.fail = tc.fail
			}
			n := newTestNotion(t, f, tc.token, nil)
			err := n.Deliver(t.Context(), buildFixed(t), Progress{}, func(context.Context, Progress) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) || writeback.IsPermanent(err) != tc.permanent {
				t.Fatalf("err = %v (permanent %v), want %q permanent %v", err, writeback.IsPermanent(err), tc.want, tc.permanent)
			}
			if strings.Contains(err.Error(), "NOTIONTOKEN") || strings.Contains(err.Error(), "WRONG") {
				t.Errorf("error reveals the token: %v", err)
			}
		})
	}
}

func TestNotionPagesRateLimited(t *testing.T) {
	f := newFakeNotion(t, notionToken, notionParent)
	f.fail["POST pages"] = []int{429}
	var waits []time.Duration
	n := newTestNotion(t, f, notionToken, &waits)
	var p progressLog
	if err := n.Deliver(t.Context(), buildFixed(t), Progress{}, p.confirm); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 1 || waits[0] != 2*time.Second || f.count("POST pages") != 2 {
		t.Errorf("waits %v, %d creates; want Retry-After 2s honoured and one retry", waits, f.count("POST pages"))
	}
	if _, parents := f.page(notionParent); len(parents) != 1 {
		t.Errorf("%d pages", len(parents))
	}
}
