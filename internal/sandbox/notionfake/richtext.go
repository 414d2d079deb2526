package notionfake

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Notion's size limits for rich text.
const (
	maxTextLen  = 2000 // characters in one text object's content, and in a link URL
	maxArrayLen = 100  // elements in any rich-text (or people, multi_select) array
	maxEquation = 1000
)

// richText is one stored rich-text object.
type richText struct {
	Type        string          // text | equation
	Content     string          // text content or equation expression
	Link        string          // text link URL, or ""
	Annotations json.RawMessage // as sent, or nil for defaults
}

type rawRichText struct {
	Type string `json:"type"`
	Text *struct {
		Content *string `json:"content"`
		Link    *struct {
			URL string `json:"url"`
		} `json:"link"`
	} `json:"text"`
	Equation *struct {
		Expression string `json:"expression"`
	} `json:"equation"`
	Annotations json.RawMessage `json:"annotations"`
}

// parseRichText validates and decodes a rich-text array found at path (e.g.
// "body.properties.Evidence.rich_text") the way Notion does.
func parseRichText(path string, raw json.RawMessage) ([]richText, *apiError) {
	var items []rawRichText
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, validation("body failed validation: %s should be an array, instead was `%s`.", path, short(raw))
	}
	if len(items) > maxArrayLen {
		return nil, validation("body failed validation: %s.length should be ≤ `%d`, instead was `%d`.", path, maxArrayLen, len(items))
	}
	out := make([]richText, 0, len(items))
	for i, it := range items {
		rt, e := parseRichTextItem(path+"["+itoa(i)+"]", it)
		if e != nil {
			return nil, e
		}
		out = append(out, rt)
	}
	return out, nil
}

func parseRichTextItem(path string, it rawRichText) (richText, *apiError) {
	switch {
	case it.Text != nil && (it.Type == "" || it.Type == "text"):
		if it.Text.Content == nil {
			return richText{}, validation("body failed validation: %s.text.content should be defined, instead was `undefined`.", path)
		}
		content := *it.Text.Content
		if n := utf8.RuneCountInString(content); n > maxTextLen {
			return richText{}, validation("body failed validation: %s.text.content.length should be ≤ `%d`, instead was `%d`.", path, maxTextLen, n)
		}
		rt := richText{Type: "text", Content: content, Annotations: it.Annotations}
		if it.Text.Link != nil {
			if e := checkURL(path+".text.link.url", it.Text.Link.URL); e != nil {
				return richText{}, e
			}
			rt.Link = it.Text.Link.URL
		}
		return rt, nil
	case it.Equation != nil && (it.Type == "" || it.Type == "equation"):
		if n := utf8.RuneCountInString(it.Equation.Expression); n > maxEquation {
			return richText{}, validation("body failed validation: %s.equation.expression.length should be ≤ `%d`, instead was `%d`.", path, maxEquation, n)
		}
		return richText{Type: "equation", Content: it.Equation.Expression, Annotations: it.Annotations}, nil
	}
	return richText{}, validation("body failed validation: %s should be a text or equation rich text object (notionfake supports only these).", path)
}

func checkURL(path, u string) *apiError {
	if n := utf8.RuneCountInString(u); n > maxTextLen {
		return validation("body failed validation: %s.length should be ≤ `%d`, instead was `%d`.", path, maxTextLen, n)
	}
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || (p.Host == "" && p.Scheme != "mailto") {
		return validation("Invalid URL for link.")
	}
	return nil
}

var defaultAnnotations = json.RawMessage(`{"bold":false,"italic":false,"strikethrough":false,"underline":false,"code":false,"color":"default"}`)

// render returns the rich text the way Notion answers it (with plain_text,
// href and full annotations).
func renderRichText(rts []richText) []map[string]any {
	out := make([]map[string]any, 0, len(rts))
	for _, rt := range rts {
		ann := rt.Annotations
		if len(ann) == 0 {
			ann = defaultAnnotations
		}
		m := map[string]any{"type": rt.Type, "annotations": ann, "plain_text": rt.Content}
		var href any
		if rt.Type == "equation" {
			m["equation"] = map[string]any{"expression": rt.Content}
		} else {
			var link any
			if rt.Link != "" {
				link = map[string]any{"url": rt.Link}
				href = rt.Link
			}
			m["text"] = map[string]any{"content": rt.Content, "link": link}
		}
		m["href"] = href
		out = append(out, m)
	}
	return out
}

func plainText(rts []richText) string {
	var b strings.Builder
	for _, rt := range rts {
		b.WriteString(rt.Content)
	}
	return b.String()
}

func links(rts []richText) []string {
	var out []string
	for _, rt := range rts {
		if rt.Link != "" {
			out = append(out, rt.Link)
		}
	}
	return out
}

func textRich(s string) []richText {
	if s == "" {
		return nil
	}
	return []richText{{Type: "text", Content: s}}
}

func short(raw json.RawMessage) string {
	s := string(raw)
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

func itoa(i int) string { return strconv.Itoa(i) }
