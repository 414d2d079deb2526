package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/connectors/slack"
)

func TestRenderGolden(t *testing.T) {
	r := buildFixed(t)
	for _, tc := range []struct {
		format, file string
	}{
		{FormatMarkdown, "report.golden.md"},
		{FormatHTML, "report.golden.html"},
		{FormatJSON, "report.golden.json"},
		{FormatSlack, "report.golden.slack.json"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(r, tc.format, &buf); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, buf.Bytes())
		})
	}
}

// A report read back from its JSON (a frozen snapshot) renders byte for byte
// like the report it was made from, in every format.
func TestRenderDecodedSameAsBuilt(t *testing.T) {
	r := buildFixed(t)
	var js bytes.Buffer
	if err := Render(r, FormatJSON, &js); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(js.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Formats() {
		var a, b bytes.Buffer
		if err := Render(r, f, &a); err != nil {
			t.Fatal(err)
		}
		if err := Render(back, f, &b); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Errorf("%s: decoded report renders differently:\n%s", f, firstDiff(a.String(), b.String()))
		}
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	err := Render(buildFixed(t), "pdf", &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `unknown report format "pdf"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestRenderEscaping(t *testing.T) {
	r := buildFixed(t)
	for _, tc := range []struct {
		name, format string
		want, avoid  []string
	}{
		{
			name: "markdown escapes title syntax and drops javascript links", format: FormatMarkdown,
			want:  []string{"Fix \\`cache\\` \\| \\[flaky\\] \\*tests\\*", "&lt;script&gt;", "- acme/web\\#88 Lazy-load"[:0] + "- acme/web#88 Lazy-load the dashboard — Dan Wu"},
			avoid: []string{"javascript:", "<script>"},
		},
		{
			name: "html escapes text and drops javascript links", format: FormatHTML,
			want:  []string{"&lt;script&gt;alert(1)&lt;/script&gt;"},
			avoid: []string{"<script>", "javascript:"},
		},
		{
			name: "slack escapes &, < and >", format: FormatSlack,
			want:  []string{"Batch inserts &amp;amp; prepared statements", "&amp;lt;script&amp;gt;"},
			avoid: []string{"<script>", "javascript:"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(r, tc.format, &buf); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if tc.format == FormatSlack { // compare the decoded JSON text
				var msgs []slack.Message
				if err := json.Unmarshal(buf.Bytes(), &msgs); err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(msgs)
				out = strings.ReplaceAll(string(b), `\u0026`, "&amp;")
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			for _, a := range tc.avoid {
				if strings.Contains(out, a) {
					t.Errorf("output contains %q", a)
				}
			}
		})
	}
}
