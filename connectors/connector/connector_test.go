package connector

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// TestRun: the loop polls at once and again at each tick, logs a failed
// poll by the connector's name, and returns nil once ctx ends.
func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		wantLog string
	}{
		{name: "poll succeeds"},
		{name: "poll fails", err: errors.New("boom"), wantLog: "jira poll failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			ctx, cancel := context.WithCancel(t.Context())
			calls := 0
			poll := func(context.Context) error {
				calls++
				if calls == 2 {
					cancel() // the daemon stops during the second poll
					return context.Canceled
				}
				return tc.err
			}
			if err := Run(ctx, "jira", time.Millisecond, poll, log); err != nil {
				t.Fatal(err)
			}
			if calls != 2 {
				t.Errorf("%d polls, want 2", calls)
			}
			if strings.Contains(logs.String(), "canceled") {
				t.Errorf("a poll cut short by shutdown was logged: %q", logs.String())
			}
			if tc.wantLog != "" && !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("log = %q, want %q", logs.String(), tc.wantLog)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	var h Health
	if h.LastError() != nil {
		t.Fatal("zero Health reports an error")
	}
	boom := errors.New("boom")
	h.Set(boom)
	if !errors.Is(h.LastError(), boom) {
		t.Errorf("LastError = %v", h.LastError())
	}
	h.Set(nil)
	if h.LastError() != nil {
		t.Error("a good poll did not clear the error")
	}
}

type cfg struct{ bad bool }

func (c *cfg) Validate() error {
	if c.bad {
		return errors.New("token: required")
	}
	return nil
}

type nopStore struct{}

func (nopStore) Cursor(context.Context, string, string) (string, error)  { return "", nil }
func (nopStore) SetCursor(context.Context, string, string, string) error { return nil }

type nopPub struct{}

func (nopPub) Publish(context.Context, ...event.Event) error { return nil }

func TestCheckSource(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		name string
		cfg  *cfg
		pub  Publisher
		want string
	}{
		{name: "complete", cfg: &cfg{}, pub: nopPub{}},
		{name: "no config", pub: nopPub{}, want: "jira source: config, publisher"},
		{name: "no publisher", cfg: &cfg{}, want: "jira source: config, publisher"},
		{name: "invalid config", cfg: &cfg{bad: true}, pub: nopPub{}, want: "jira source: token: required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSource("jira", tc.cfg, tc.pub, nopStore{}, log)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
