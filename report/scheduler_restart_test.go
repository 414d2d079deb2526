package report

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/slack"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/store/storetest"
	"github.com/goalpost/goalpost/rules/people"
)

// restartRig is a daemon's report delivery: a store file, the builder over
// the fixed dataset, Slack (fake) and file destinations. Building it again
// over the same directory is a restart.
type restartRig struct {
	dir   string
	st    *store.Store
	sched *sending
	clk   *clock
}

func newRig(t *testing.T, dir string, clk *clock, slackURL string, rt http.RoundTripper) *restartRig {
	t.Helper()
	st := storetest.Open(t, filepath.Join(dir, "goalpost.db"))
	teams := []people.Team{platform}
	b, err := NewBuilder(bigSource(t, 80, 2, 5), st, teams, nil)
	if err != nil {
		t.Fatal(err)
	}
	noSleep := func(context.Context, time.Duration) error { return nil }
	dests := []Destination{
		{Name: "slack", Sender: NewSlackWebhook(slack.NewWebhook(secret.String(slackURL), rt, slack.WithSleep(noSleep), slack.WithLimiter(nil)), nil)},
		{Name: "archive", Sender: &File{Path: filepath.Join(dir, "out", "{team}-{week}.md"), Format: FormatMarkdown}},
	}
	return &restartRig{dir: dir, st: st, sched: newSending(t, &Config{}, teams, b.Report, dests, st, nil, clk.Now), clk: clk}
}

// cutRT fails the n-th request. Before it reaches the server ("cut before")
// the message is never delivered; after the server answered ("cut after")
// it was delivered but the answer is lost. Either way the process "dies":
// its context is cancelled.
type cutRT struct {
	n      int
	after  bool
	cancel context.CancelFunc
	mu     sync.Mutex
	seen   int
}

func (c *cutRT) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.seen++
	hit := c.seen == c.n
	c.mu.Unlock()
	if hit && !c.after {
		c.cancel()
		return nil, context.Canceled
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if hit {
		c.cancel()
		if resp != nil {
			resp.Body.Close()
		}
		return nil, context.Canceled
	}
	return resp, err
}

// A restart in the middle of sending a split report neither skips nor
// repeats a confirmed message; only a message whose answer was lost in the
// crash is sent twice (the documented Slack limit). The restart comes three
// days later, past catch_up: a started delivery is always finished.
func TestSchedulerRestartMidSend(t *testing.T) {
	fire := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		after     bool
		wantTwice int // message number delivered twice, 0 for none
	}{
		{name: "crash between messages", after: false},
		{name: "crash with a message in flight", after: true, wantTwice: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSlack{}
			srv := httptest.NewServer(f)
			defer srv.Close()
			f.t, f.path = t, secretPath
			dir := t.TempDir()
			clk := &clock{t: fire}

			ctx, cancel := context.WithCancel(t.Context())
			rig := newRig(t, dir, clk, srv.URL+secretPath, &cutRT{n: 2, after: tc.after, cancel: cancel})
			if _, err := rig.sched.tick(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("first run: %v, want the crash", err)
			}
			_ = rig.st.Close()
			before := len(f.messages())

			clk.Add(3 * 24 * time.Hour)
			rig = newRig(t, dir, clk, srv.URL+secretPath, nil)
			defer rig.st.Close()
			if _, err := rig.sched.tick(t.Context()); err != nil {
				t.Fatal(err)
			}
			if _, err := rig.sched.tick(t.Context()); err != nil { // nothing left to do
				t.Fatal(err)
			}

			frozen, err := rig.st.ReportSnapshot(t.Context(), "platform", "2026-W47")
			if err != nil {
				t.Fatal(err)
			}
			r, _ := Decode(frozen)
			want, _ := Slack(r)
			got := f.messages()
			count := map[string]int{}
			for _, m := range got {
				count[m.Text]++
			}
			for i, m := range want {
				n := 1
				if i+1 == tc.wantTwice {
					n = 2
				}
				if count[m.Text] != n {
					t.Errorf("message %d of %d delivered %d times, want %d", i+1, len(want), count[m.Text], n)
				}
			}
			if before == 0 || before >= len(want) {
				t.Errorf("the crash came after %d of %d messages", before, len(want))
			}
			for _, dest := range []string{"slack", "archive"} {
				if d := delivery(t, rig.st, "platform", "2026-W47", dest); d.State != store.WriteSent {
					t.Errorf("%s: %+v", dest, d)
				}
			}
			md, err := os.ReadFile(filepath.Join(dir, "out", "platform-2026-W47.md"))
			if err != nil || string(md) != Markdown(r) {
				t.Errorf("archive file: %v", err)
			}
		})
	}
}

// The webhook URL is a secret: a failing delivery names the error in the
// log and the outbox row, never the URL.
func TestSchedulerNeverLogsTheWebhookURL(t *testing.T) {
	f := &fakeSlack{script: []int{500, 500, 500, 500, 500, 404}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	f.t, f.path = t, secretPath
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := openStore(t, t.TempDir())
	teams := []people.Team{platform}
	b, _ := NewBuilder(loadSource(t), st, teams, nil)
	noSleep := func(context.Context, time.Duration) error { return nil }
	dests := []Destination{{Name: "slack", Sender: NewSlackWebhook(slack.NewWebhook(secret.String(srv.URL+secretPath), nil, slack.WithSleep(noSleep), slack.WithLimiter(nil)), log)}}
	clk := &clock{t: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)}
	s := newSending(t, &Config{}, teams, b.Report, dests, st, log, clk.Now)
	for range 2 { // a retryable failure, then a permanent one
		if _, err := s.tick(t.Context()); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Hour)
	}
	d := delivery(t, st, "platform", "2026-W47", "slack")
	if d.State != store.WriteParked || !strings.Contains(d.LastError, "no_service") {
		t.Errorf("record = %+v", d)
	}
	for _, where := range []string{logs.String(), d.LastError} {
		if strings.Contains(where, "XXXXSECRETXXXX") || strings.Contains(where, "/services/") {
			t.Errorf("secret URL leaked: %s", where)
		}
	}
	if !strings.Contains(logs.String(), "write parked") {
		t.Errorf("log lacks the failure:\n%s", logs.String())
	}
}
