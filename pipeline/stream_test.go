package pipeline

import (
	"context"
	"testing"
	"time"
)

// TestEnsureStreamsUpdatesOnlyWhatDiffers: a stream whose settings match is
// left alone (an operator's own limit stays; no update, whose age check
// reads the oldest block), one whose settings differ is updated to them.
func TestEnsureStreamsUpdatesOnlyWhatDiffers(t *testing.T) {
	tests := []struct {
		name        string
		change      func(*StreamConfig)
		wantMaxMsgs int64 // the operator set 1000; an update resets it
	}{
		{"same settings: left alone", func(*StreamConfig) {}, 1000},
		{"retention changed: updated", func(c *StreamConfig) { c.MaxAge = 24 * time.Hour }, -1},
		{"duplicate window changed: updated", func(c *StreamConfig) { c.DuplicateWindow = 10 * time.Minute }, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := DefaultStreams()
			conn, js := startJS(t, t.TempDir(), cfg)
			defer conn.Close()
			s, err := js.Stream(ctx, cfg.Name)
			if err != nil {
				t.Fatal(err)
			}
			byHand := s.CachedInfo().Config
			byHand.MaxMsgs = 1000
			if _, err := js.UpdateStream(ctx, byHand); err != nil {
				t.Fatal(err)
			}
			tt.change(&cfg)
			if err := EnsureStreams(ctx, js, cfg); err != nil {
				t.Fatal(err)
			}
			if s, err = js.Stream(ctx, cfg.Name); err != nil {
				t.Fatal(err)
			}
			got := s.CachedInfo().Config
			if got.MaxMsgs != tt.wantMaxMsgs || got.MaxAge != cfg.MaxAge || got.Duplicates != cfg.DuplicateWindow {
				t.Errorf("max_msgs %d, max_age %s, duplicates %s; want %d, %s, %s",
					got.MaxMsgs, got.MaxAge, got.Duplicates, tt.wantMaxMsgs, cfg.MaxAge, cfg.DuplicateWindow)
			}
			if _, err := js.Stream(ctx, cfg.Name+"_DLQ"); err != nil {
				t.Errorf("dead-letter stream: %v", err)
			}
		})
	}
}
