package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/slack"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback"
)

// bigSource is a dataset with many KRs, evidence items and people.
func bigSource(t testing.TB, krs, itemsPerKR, nPeople int) *fakeSource {
	src := loadSource(t)
	src.Data.Results, src.Data.Moved = nil, nil
	at := time.Date(2026, 11, 17, 10, 0, 0, 0, time.UTC)
	for i := range krs {
		key := fmt.Sprintf("KR-%03d", i)
		src.Data.Results = append(src.Data.Results, rules.Result{
			KRKey: key, Title: strings.Repeat("Make the thing measurably better ", 3), ObjectiveKey: fmt.Sprintf("O%d", i/5),
			Objective: "Objective", Team: "platform", Type: "count", Current: float64(i), Target: 100, Progress: float64(i) / 100,
			Status: []string{rules.StatusOnTrack, rules.StatusAtRisk, rules.StatusOffTrack, rules.StatusDone, rules.StatusStale}[i%5],
		})
		m := Movement{KRKey: key, From: 0, To: float64(i)}
		for j := range itemsPerKR {
			m.Evidence = append(m.Evidence, rules.Evidence{
				EventID: fmt.Sprintf("%s-%d", key, j), Title: fmt.Sprintf("acme/api#%d A change with a fairly long descriptive title & more", 1000+j),
				URL: fmt.Sprintf("https://github.com/acme/api/pull/%d", 1000+j), Actor: "alice", OccurredAt: at,
			})
		}
		src.Data.Moved = append(src.Data.Moved, m)
	}
	row := src.Data.Grid.People[1]
	src.Data.Grid.People = nil
	for i := range nPeople {
		r := row
		r.Person, r.Name = fmt.Sprintf("p%03d", i), fmt.Sprintf("Person Number %03d", i)
		src.Data.Grid.People = append(src.Data.Grid.People, r)
	}
	return src
}

func TestSlackSplitsLongReports(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		krs, items, people, msgs int
	}{
		{name: "fixed dataset fits one message", msgs: 1},
		{name: "many KRs", krs: 80, items: 2, people: 5, msgs: 3},
		{name: "long evidence lists", krs: 12, items: 40, people: 5, msgs: 2},
		{name: "large team", krs: 3, items: 1, people: 300, msgs: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := buildFixed(t)
			if tc.krs > 0 {
				var err error
				r, err = Build(t.Context(), bigSource(t, tc.krs, tc.items, tc.people), platform, week47, reportTime, 4)
				if err != nil {
					t.Fatal(err)
				}
			}
			msgs, err := Slack(r)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) < tc.msgs {
				t.Fatalf("%d messages, want at least %d", len(msgs), tc.msgs)
			}
			var all []slack.Block
			for i, m := range msgs {
				checkSlackPayload(t, mustJSON(t, m))
				blocks := m.Blocks
				if i > 0 {
					if blocks[0].Type != "context" || !strings.Contains(blocks[0].Elements[0].Text, fmt.Sprintf("part %d of %d", i+1, len(msgs))) {
						t.Errorf("message %d does not start with its part number: %+v", i+1, blocks[0])
					}
					blocks = blocks[1:]
				}
				all = append(all, blocks...)
			}
			if want := slackBlocks(r); len(all) != len(want) {
				t.Errorf("split lost or added blocks: %d, want %d", len(all), len(want))
			}
			if msgs[0].Blocks[0].Type != "header" {
				t.Error("first message does not start with the header")
			}
		})
	}
}

// fakeSlack is an incoming webhook: it checks each payload's structure and
// answers with a scripted status per request (200 "ok" once the script ends).
type fakeSlack struct {
	t      *testing.T
	path   string
	mu     sync.Mutex
	script []int
	got    []slack.Message
	calls  int
	hook   func(n int) // called with the request number before answering
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	status := http.StatusOK
	if len(f.script) > 0 {
		status, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != f.path || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if f.hook != nil {
		f.hook(n)
	}
	switch status {
	case http.StatusOK:
		checkSlackPayload(f.t, body)
		var m slack.Message
		_ = json.Unmarshal(body, &m)
		f.mu.Lock()
		f.got = append(f.got, m)
		f.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "7")
		http.Error(w, "rate_limited", status)
	case http.StatusNotFound:
		http.Error(w, "no_service", status)
	case http.StatusGone:
		http.Error(w, "channel_is_archived", status)
	case http.StatusForbidden:
		http.Error(w, "action_prohibited", status)
	default:
		http.Error(w, "rollup_error", status)
	}
}

func (f *fakeSlack) messages() []slack.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]slack.Message(nil), f.got...)
}

// checkSlackPayload validates a webhook payload as JSON, independently of
// our types: known keys only, known block types, Slack's limits.
func checkSlackPayload(t testing.TB, body []byte) {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	for k := range p {
		if k != "text" && k != "blocks" {
			t.Errorf("unexpected top-level key %q", k)
		}
	}
	text, _ := p["text"].(string)
	blocks, _ := p["blocks"].([]any)
	if text == "" || len(blocks) == 0 || len(blocks) > 50 {
		t.Fatalf("payload has text %q and %d blocks (want text and 1..50 blocks)", text, len(blocks))
	}
	for i, b := range blocks {
		blk := b.(map[string]any)
		textOf := func(v any) (string, string) {
			o, _ := v.(map[string]any)
			ty, _ := o["type"].(string)
			s, _ := o["text"].(string)
			return ty, s
		}
		switch blk["type"] {
		case "header":
			ty, s := textOf(blk["text"])
			if ty != "plain_text" || s == "" || slack.Len(s) > 150 {
				t.Errorf("block %d: bad header (%s, %d chars)", i, ty, slack.Len(s))
			}
		case "section":
			ty, s := textOf(blk["text"])
			if ty != "mrkdwn" || s == "" || slack.Len(s) > 3000 {
				t.Errorf("block %d: bad section (%s, %d chars)", i, ty, slack.Len(s))
			}
		case "context":
			els, _ := blk["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				t.Errorf("block %d: context with %d elements", i, len(els))
			}
			for _, e := range els {
				if ty, s := textOf(e); (ty != "mrkdwn" && ty != "plain_text") || s == "" {
					t.Errorf("block %d: bad context element", i)
				}
			}
		case "divider":
			if len(blk) != 1 {
				t.Errorf("block %d: divider with content %v", i, blk)
			}
		default:
			t.Errorf("block %d: unknown type %v", i, blk["type"])
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const secretPath = "/services/T000/B000/XXXXSECRETXXXX"

// newTestSlack returns a webhook sender for the fake whose waits are recorded
// instead of slept.
func newTestSlack(t *testing.T, f *fakeSlack, waits *[]time.Duration) *SlackWebhook {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.t, f.path = t, secretPath
	sleep := func(_ context.Context, d time.Duration) error { *waits = append(*waits, d); return nil }
	return NewSlackWebhook(slack.NewWebhook(secret.String(srv.URL+secretPath), nil, slack.WithSleep(sleep), slack.WithLimiter(nil)), slog.New(slog.DiscardHandler))
}

func TestSlackWebhookDeliversSplitReport(t *testing.T) {
	r, err := Build(t.Context(), bigSource(t, 80, 2, 5), platform, week47, reportTime, 4)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Slack(r)
	f := &fakeSlack{script: []int{http.StatusTooManyRequests, http.StatusOK, http.StatusBadGateway}}
	var waits []time.Duration
	s := newTestSlack(t, f, &waits)
	var confirmed []int
	err = s.Deliver(t.Context(), r, Progress{}, func(_ context.Context, p Progress) error {
		confirmed = append(confirmed, p.Parts)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := f.messages()
	if len(got) != len(want) || len(want) < 2 {
		t.Fatalf("fake got %d messages, want %d (>1)", len(got), len(want))
	}
	for i := range got {
		if string(mustJSON(t, got[i])) != string(mustJSON(t, want[i])) {
			t.Errorf("message %d differs from the rendered one", i+1)
		}
		if confirmed[i] != i+1 {
			t.Errorf("confirmed = %v", confirmed)
		}
	}
	if len(waits) != 2 || waits[0] != 7*time.Second {
		t.Errorf("waits = %v, want Retry-After 7s then a backoff", waits)
	}
}

func TestSlackWebhookErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		script    []int
		permanent bool
		want      string
	}{
		{name: "revoked webhook", script: []int{404}, permanent: true, want: "status 404: no_service"},
		{name: "archived channel", script: []int{410}, permanent: true, want: "channel_is_archived"},
		{name: "prohibited", script: []int{403}, permanent: true, want: "action_prohibited"},
		{name: "server keeps failing", script: []int{500, 500, 500, 500, 500}, want: "status 500: rollup_error"},
		{name: "rate limited beyond the retries", script: []int{429, 429, 429, 429, 429}, want: "status 429"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSlack{script: tc.script}
			var waits []time.Duration
			s := newTestSlack(t, f, &waits)
			err := s.Deliver(t.Context(), buildFixed(t), Progress{}, func(context.Context, Progress) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) || writeback.IsPermanent(err) != tc.permanent {
				t.Fatalf("err = %v (permanent %v), want %q permanent %v", err, writeback.IsPermanent(err), tc.want, tc.permanent)
			}
			if strings.Contains(err.Error(), "XXXXSECRETXXXX") {
				t.Errorf("error reveals the webhook URL: %v", err)
			}
		})
	}
}

// A delivery resumed with progress sends only the remaining messages.
func TestSlackWebhookResumes(t *testing.T) {
	r, _ := Build(t.Context(), bigSource(t, 80, 2, 5), platform, week47, reportTime, 4)
	want, _ := Slack(r)
	f := &fakeSlack{}
	var waits []time.Duration
	s := newTestSlack(t, f, &waits)
	if err := s.Deliver(t.Context(), r, Progress{Parts: 1}, func(context.Context, Progress) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := f.messages(); len(got) != len(want)-1 || got[0].Text != want[1].Text {
		t.Errorf("resumed delivery sent %d messages starting with %q", len(got), got[0].Text)
	}
}
