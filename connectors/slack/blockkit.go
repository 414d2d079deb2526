// Package slack is the Slack connector: Block Kit message types with the
// limits Slack enforces, packing of long content into messages that keep to
// them, and the one client that builds and sends Slack requests (an incoming
// webhook today). Callers render their content as Blocks; this package
// decides how it travels.
package slack

import (
	"errors"
	"fmt"
	"strings"
)

// Block Kit limits the messages keep to. MaxMessageChars is our own bound
// on the text of one message: Slack rejects very large payloads
// (invalid_blocks) well below 50 × 3,000 characters.
const (
	MaxBlocks       = 50
	MaxSectionText  = 3000
	MaxHeaderText   = 150
	MaxContextElems = 10
	MaxMessageChars = 12000
)

// Message is one message payload (incoming webhook or chat.postMessage).
type Message struct {
	Text   string  `json:"text"` // notification fallback
	Blocks []Block `json:"blocks"`
}

// Block is a Block Kit layout block: header, section, context or divider.
type Block struct {
	Type     string `json:"type"`
	Text     *Text  `json:"text,omitempty"`
	Elements []Text `json:"elements,omitempty"`
}

// Text is a Block Kit text object (plain_text or mrkdwn).
type Text struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// Header is a header block, its text cut to MaxHeaderText.
func Header(text string) Block {
	return Block{Type: "header", Text: &Text{Type: "plain_text", Text: Truncate(text, MaxHeaderText), Emoji: true}}
}

// Divider is a divider block.
func Divider() Block { return Block{Type: "divider"} }

// Section is a mrkdwn section block; text must already be escaped and
// within MaxSectionText (see Sections).
func Section(text string) Block {
	return Block{Type: "section", Text: &Text{Type: "mrkdwn", Text: text}}
}

// Context is a context block with one mrkdwn element, cut to MaxSectionText.
func Context(text string) Block {
	return Block{Type: "context", Elements: []Text{{Type: "mrkdwn", Text: Truncate(text, MaxSectionText)}}}
}

// Sections splits mrkdwn text between lines into sections of at most
// MaxSectionText characters; a single longer line is truncated.
func Sections(text string) []Block {
	var out []Block
	for _, chunk := range ChunkLines(strings.Split(text, "\n"), MaxSectionText) {
		out = append(out, Section(strings.Join(chunk, "\n")))
	}
	return out
}

// ChunkLines groups lines so that each group joined by "\n" has at most max
// characters; a line longer than max is truncated to fit.
func ChunkLines(lines []string, max int) [][]string {
	var out [][]string
	var cur []string
	size := 0
	for _, l := range lines {
		l = Truncate(l, max)
		n := Len(l)
		if len(cur) > 0 && size+1+n > max {
			out = append(out, cur)
			cur, size = nil, 0
		}
		if len(cur) > 0 {
			size++
		}
		cur, size = append(cur, l), size+n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// Pack fills messages with blocks in order, within the block and character
// budgets; every message after the first starts with a context block naming
// the part ("title — continued, part 2 of 3"). Each message's fallback text
// is title, numbered when there are several.
func Pack(blocks []Block, title string) []Message {
	var groups [][]Block
	var cur []Block
	chars := 0
	for _, b := range blocks {
		n := blockLen(b)
		room := MaxBlocks
		if len(groups) > 0 {
			room-- // the continuation context block
		}
		if len(cur) > 0 && (len(cur)+1 > room || chars+n > MaxMessageChars-200) {
			groups = append(groups, cur)
			cur, chars = nil, 0
		}
		cur, chars = append(cur, b), chars+n
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	msgs := make([]Message, len(groups))
	for i, g := range groups {
		text := title
		if len(groups) > 1 {
			text = fmt.Sprintf("%s (%d/%d)", title, i+1, len(groups))
		}
		if i > 0 {
			g = append([]Block{Context(Escape(fmt.Sprintf("%s — continued, part %d of %d", title, i+1, len(groups))))}, g...)
		}
		msgs[i] = Message{Text: text, Blocks: g}
	}
	return msgs
}

// Validate checks m against Slack's Block Kit limits for messages.
func Validate(m Message) error {
	var errs []error
	if len(m.Blocks) == 0 || len(m.Blocks) > MaxBlocks {
		errs = append(errs, fmt.Errorf("%d blocks (want 1..%d)", len(m.Blocks), MaxBlocks))
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
	if total > MaxMessageChars {
		errs = append(errs, fmt.Errorf("%d characters of text (max %d)", total, MaxMessageChars))
	}
	return errors.Join(errs...)
}

func validateBlock(b Block) error {
	switch b.Type {
	case "divider":
		if b.Text != nil || b.Elements != nil {
			return errors.New("divider with content")
		}
		return nil
	case "header":
		if b.Text == nil || b.Text.Type != "plain_text" || b.Text.Text == "" || Len(b.Text.Text) > MaxHeaderText {
			return fmt.Errorf("header needs plain_text of 1..%d characters", MaxHeaderText)
		}
		return nil
	case "section":
		if b.Text == nil || b.Text.Type != "mrkdwn" || b.Text.Text == "" || Len(b.Text.Text) > MaxSectionText {
			return fmt.Errorf("section needs mrkdwn text of 1..%d characters", MaxSectionText)
		}
		return nil
	case "context":
		if len(b.Elements) == 0 || len(b.Elements) > MaxContextElems {
			return fmt.Errorf("context needs 1..%d elements", MaxContextElems)
		}
		for _, e := range b.Elements {
			if (e.Type != "mrkdwn" && e.Type != "plain_text") || e.Text == "" || Len(e.Text) > MaxSectionText {
				return errors.New("bad context element")
			}
		}
		return nil
	}
	return fmt.Errorf("unknown block type %q", b.Type)
}

func blockLen(b Block) int {
	n := 0
	if b.Text != nil {
		n += Len(b.Text.Text)
	}
	for _, e := range b.Elements {
		n += Len(e.Text)
	}
	return n
}
