package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/goalpost/goalpost/internal/sandbox"
	"github.com/goalpost/goalpost/writeback"
)

// sendSlack sends, once, what the daemon would send to Slack by now: the
// weekly report of the week that just ended (each team's, queued in the
// outbox once and sent through it, so it is never sent twice) and the current wins message.
func (a *app) sendSlack(ctx context.Context) error {
	if a.schedule != nil {
		if _, err := a.schedule.Tick(ctx); err != nil {
			return fmt.Errorf("weekly report: %w", err)
		}
		// A failed delivery stays in the outbox (status shows it).
		var failed *writeback.FailedError
		if err := a.writer.Flush(ctx); err != nil && !errors.As(err, &failed) {
			return fmt.Errorf("weekly report: %w", err)
		}
	}
	if a.wins != nil {
		if err := a.wins.Once(ctx); err != nil {
			return fmt.Errorf("wins: %w", err)
		}
	}
	return nil
}

// printSlack prints the messages goalpost posted to the sandbox's Slack
// that seen has not shown yet (new ones, and edits by their count); nothing
// when the demo posts to a real Slack.
func printSlack(w io.Writer, sb *sandbox.Sandbox, seen map[string]int) {
	if sb.RealSlack() {
		return
	}
	for _, m := range sb.Slack.All() {
		id := m.Channel + "/" + m.TS
		if n, ok := seen[id]; ok && n == m.Edits {
			continue
		}
		verb := "posted to"
		if _, ok := seen[id]; ok {
			verb = "edited in"
		}
		seen[id] = m.Edits
		where := "#" + m.Channel
		if strings.HasPrefix(m.Channel, "D") {
			where = "a direct message (" + m.Channel + ")"
		}
		fmt.Fprintf(w, "\nSlack message %s %s:\n", verb, where)
		for _, line := range strings.Split(blocksPlain(m.Blocks, m.Text), "\n") {
			fmt.Fprintf(w, "  │ %s\n", line)
		}
	}
}

// blocksPlain is the text of Block Kit blocks (header, section and context
// texts, one per line), or fallback when there are none.
func blocksPlain(blocks, fallback string) string {
	type text struct {
		Text string `json:"text"`
	}
	var bs []struct {
		Text     *text  `json:"text"`
		Fields   []text `json:"fields"`
		Elements []text `json:"elements"`
	}
	if blocks == "" || json.Unmarshal([]byte(blocks), &bs) != nil {
		return fallback
	}
	var lines []string
	for _, b := range bs {
		if b.Text != nil {
			lines = append(lines, b.Text.Text)
		}
		for _, t := range append(b.Fields, b.Elements...) {
			if t.Text != "" {
				lines = append(lines, t.Text)
			}
		}
	}
	if len(lines) == 0 {
		return fallback
	}
	return strings.Join(lines, "\n")
}
