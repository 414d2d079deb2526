package report

import (
	"errors"
	"fmt"
)

// ValidateSlack checks m against Slack's Block Kit limits for messages.
func ValidateSlack(m SlackMessage) error {
	var errs []error
	if len(m.Blocks) == 0 || len(m.Blocks) > MaxSlackBlocks {
		errs = append(errs, fmt.Errorf("%d blocks (want 1..%d)", len(m.Blocks), MaxSlackBlocks))
	}
	if m.Text == "" {
		errs = append(errs, errors.New("no fallback text"))
	}
	total := 0
	for i, b := range m.Blocks {
		if err := validateBlock(b); err != nil {
			errs = append(errs, fmt.Errorf("block %d: %w", i, err))
		}
		total += blockLen(b)
	}
	if total > MaxSlackMessageChars {
		errs = append(errs, fmt.Errorf("%d characters of text (max %d)", total, MaxSlackMessageChars))
	}
	return errors.Join(errs...)
}

func validateBlock(b SlackBlock) error {
	switch b.Type {
	case "divider":
		if b.Text != nil || b.Elements != nil {
			return errors.New("divider with content")
		}
		return nil
	case "header":
		if b.Text == nil || b.Text.Type != "plain_text" || b.Text.Text == "" || slackLen(b.Text.Text) > MaxSlackHeaderText {
			return fmt.Errorf("header needs plain_text of 1..%d characters", MaxSlackHeaderText)
		}
		return nil
	case "section":
		if b.Text == nil || b.Text.Type != "mrkdwn" || b.Text.Text == "" || slackLen(b.Text.Text) > MaxSlackSectionText {
			return fmt.Errorf("section needs mrkdwn text of 1..%d characters", MaxSlackSectionText)
		}
		return nil
	case "context":
		if len(b.Elements) == 0 || len(b.Elements) > MaxSlackContextElems {
			return fmt.Errorf("context needs 1..%d elements", MaxSlackContextElems)
		}
		for _, e := range b.Elements {
			if (e.Type != "mrkdwn" && e.Type != "plain_text") || e.Text == "" || slackLen(e.Text) > MaxSlackSectionText {
				return errors.New("bad context element")
			}
		}
		return nil
	}
	return fmt.Errorf("unknown block type %q", b.Type)
}

func blockLen(b SlackBlock) int {
	n := 0
	if b.Text != nil {
		n += slackLen(b.Text.Text)
	}
	for _, e := range b.Elements {
		n += slackLen(e.Text)
	}
	return n
}

// slackLen counts characters as UTF-16 code units, the strictest reading of
// Slack's limits.
func slackLen(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// truncate cuts s to at most max characters (slackLen), ending with "…".
func truncate(s string, max int) string {
	if slackLen(s) <= max {
		return s
	}
	n := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > max-1 {
			return s[:i] + "…"
		}
		n += w
	}
	return s
}
