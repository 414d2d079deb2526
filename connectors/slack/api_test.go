package slack_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/slack"
	"github.com/goalpost/goalpost/internal/sandbox/slackfake"
	"github.com/goalpost/goalpost/internal/transport"
)

const botToken = "xoxb-test-0123456789"

type apiHarness struct {
	fake  *slackfake.Fake
	api   *slack.API
	mu    sync.Mutex
	waits []time.Duration
	now   time.Time
}

func newAPI(t *testing.T) *apiHarness {
	h := &apiHarness{now: time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)}
	h.fake = slackfake.New(botToken, slackfake.WithClock(func() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.now }))
	srv := httptest.NewServer(h.fake)
	t.Cleanup(srv.Close)
	h.api = slack.NewAPI(botToken, srv.URL, srv.Client().Transport, slack.WithoutTierLimits(),
		slack.WithAPITransport(transport.Options{MaxAttempts: 3, Sleep: func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.waits = append(h.waits, d)
			h.now = h.now.Add(d)
			return ctx.Err()
		}}))
	return h
}

func msg(text string) slack.Message {
	return slack.Message{Text: text, Blocks: []slack.Block{slack.Section(text)}}
}

// A post whose answer is lost (the process died mid-send, or Slack's
// answer never came) is found again by its key: the retry updates it, so
// the channel never shows the message twice; a changed message is edited,
// not reposted.
func TestUpsertExactlyOnce(t *testing.T) {
	h := newAPI(t)
	ctx := t.Context()
	since := h.now.Add(-time.Hour)
	h.fake.LoseNextPost()
	if _, err := h.api.Upsert(ctx, "C1", "wins:2026-11-16T09", "", since, msg("v1")); err == nil {
		t.Fatal("lost answer reported success")
	}
	ts, err := h.api.Upsert(ctx, "C1", "wins:2026-11-16T09", "", since, msg("v1"))
	if err != nil {
		t.Fatal(err)
	}
	ts2, err := h.api.Upsert(ctx, "C1", "wins:2026-11-16T09", ts, since, msg("v2"))
	if err != nil || ts2 != ts {
		t.Fatalf("update: %v %s", err, ts2)
	}
	ms := h.fake.Messages("C1")
	if len(ms) != 1 || ms[0].Text != "v2" || ms[0].Edits != 2 || h.fake.Calls("chat.postMessage") != 1 {
		t.Fatalf("messages = %+v, posts = %d", ms, h.fake.Calls("chat.postMessage"))
	}
	// Another key is another message.
	if _, err := h.api.Upsert(ctx, "C1", "wins:2026-11-16T10", "", since, msg("v3")); err != nil || len(h.fake.Messages("C1")) != 2 {
		t.Fatalf("second message: %v", err)
	}
}

// A message whose answer was lost is found however busy the channel got
// meanwhile: the history is read page by page (500 messages by others are
// three pages of 200).
func TestUpsertFindsPastTheFirstPage(t *testing.T) {
	h := newAPI(t)
	ctx := t.Context()
	since := h.now.Add(-time.Hour)
	h.fake.LoseNextPost()
	if _, err := h.api.Upsert(ctx, "C1", "report:platform:2026-W46:0", "", since, msg("v1")); err == nil {
		t.Fatal("lost answer reported success")
	}
	h.fake.AddMessages("C1", 500)
	if _, err := h.api.Upsert(ctx, "C1", "report:platform:2026-W46:0", "", since, msg("v1")); err != nil {
		t.Fatal(err)
	}
	// One history page before the first post, three before the retry.
	if posts, pages := h.fake.Calls("chat.postMessage"), h.fake.Calls("conversations.history"); posts != 1 || pages != 4 {
		t.Fatalf("posts = %d (want 1), history pages = %d (want 4)", posts, pages)
	}
}

func TestRateLimitsAndErrors(t *testing.T) {
	h := newAPI(t)
	ctx := t.Context()
	h.fake.AddUser("U1", "ada@example.com")
	h.fake.RateLimitNext("users.lookupByEmail", 1)
	id, err := h.api.LookupUserByEmail(ctx, "Ada@example.com")
	if err != nil || id != "U1" || len(h.waits) != 1 || h.waits[0] != 3*time.Second {
		t.Fatalf("lookup %q %v, waits %v (want Slack's Retry-After of 3s)", id, err, h.waits)
	}
	if id, err := h.api.LookupUserByEmail(ctx, "nobody@example.com"); err != nil || id != "" {
		t.Fatalf("unknown email: %q %v", id, err)
	}
	// Posting faster than once a second in one channel: Slack's 429 and
	// Retry-After are honoured.
	h.waits = nil
	for i := range 3 {
		if _, err := h.api.PostMessage(ctx, "C2", "k", msg("m")); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	if len(h.waits) != 2 {
		t.Fatalf("waits = %v, want two Retry-After waits", h.waits)
	}
	_, err = h.api.PostMessage(ctx, "C_ARCHIVED", "k", msg("m"))
	var ae *slack.APIError
	if !errors.As(err, &ae) || ae.Code != "is_archived" || !ae.Permanent() {
		t.Fatalf("archived channel: %v", err)
	}
	bad := slack.NewAPI("xoxb-wrong", "http://127.0.0.1:1", nil, slack.WithAPITransport(transport.Options{MaxAttempts: 1}))
	if err := bad.UpdateMessage(ctx, "C", "1", msg("x")); err == nil || strings.Contains(err.Error(), "xoxb") {
		t.Fatalf("error %v leaks the token or succeeded", err)
	}
	if dm, err := h.api.OpenDM(ctx, "U1"); err != nil || dm != "DU1" {
		t.Fatalf("dm %q %v", dm, err)
	}
}

// With the client's own spacing on, posting to one channel keeps under
// Slack's one message per second: the fake never answers 429.
func TestTierSpacing(t *testing.T) {
	fake := slackfake.New(botToken)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	api := slack.NewAPI(botToken, srv.URL, srv.Client().Transport, slack.WithAPITransport(transport.Options{MaxAttempts: 1}))
	for i := range 3 {
		if _, err := api.PostMessage(t.Context(), "C3", "k", msg("m")); err != nil {
			t.Fatalf("post %d: %v (the client did not space its posts)", i, err)
		}
	}
}
