package slack

import (
	"fmt"
	"strings"
	"testing"
)

func TestSectionsSplitBetweenLines(t *testing.T) {
	long := strings.Repeat("a line of evidence that is long enough\n", 200)
	bs := Sections(long)
	if len(bs) < 3 {
		t.Fatalf("%d sections", len(bs))
	}
	for _, b := range bs {
		if n := Len(b.Text.Text); n > MaxSectionText {
			t.Errorf("section of %d characters", n)
		}
	}
	if got := Truncate(strings.Repeat("🟢", 100), 151); Len(got) > 151 || !strings.HasSuffix(got, "…") {
		t.Errorf("truncate counts astral characters wrong: %d", Len(got))
	}
}

func TestPack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		blocks int
		text   int // characters per section
		msgs   int
	}{
		{name: "fits one message", blocks: 10, text: 100, msgs: 1},
		{name: "too many blocks", blocks: 120, text: 10, msgs: 3},
		{name: "too many characters", blocks: 12, text: 2900, msgs: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var bs []Block
			for i := range tc.blocks {
				bs = append(bs, Section(fmt.Sprintf("%03d", i)+strings.Repeat("x", tc.text-3)))
			}
			msgs := Pack(bs, "Weekly check-in")
			if len(msgs) != tc.msgs {
				t.Fatalf("%d messages, want %d", len(msgs), tc.msgs)
			}
			n := 0
			for i, m := range msgs {
				if err := Validate(m); err != nil {
					t.Errorf("message %d: %v", i+1, err)
				}
				if i > 0 {
					if m.Blocks[0].Type != "context" || !strings.Contains(m.Blocks[0].Elements[0].Text, fmt.Sprintf("part %d of %d", i+1, tc.msgs)) {
						t.Errorf("message %d does not name its part", i+1)
					}
					m.Blocks = m.Blocks[1:]
				}
				for _, b := range m.Blocks {
					if want := fmt.Sprintf("%03d", n); !strings.HasPrefix(b.Text.Text, want) {
						t.Fatalf("block out of order: got %.3s, want %s", b.Text.Text, want)
					}
					n++
				}
			}
			if n != tc.blocks {
				t.Errorf("%d blocks delivered, want %d", n, tc.blocks)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := Message{Text: "t", Blocks: []Block{Header("h"), Section("s"), Divider(), Context("c")}}
	for _, tc := range []struct {
		name string
		m    Message
		want string
	}{
		{name: "valid", m: ok},
		{name: "no blocks", m: Message{Text: "t"}, want: "0 blocks"},
		{name: "no fallback text", m: Message{Blocks: ok.Blocks}, want: "no fallback text"},
		{name: "empty section", m: Message{Text: "t", Blocks: []Block{Section("")}}, want: "section needs"},
		{name: "unknown block", m: Message{Text: "t", Blocks: []Block{{Type: "image"}}}, want: "unknown block type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.m)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
