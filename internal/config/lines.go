package config

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// lineIndex maps a key path ("github.repos[1].name") to the line that sets it,
// so that validation errors, which know only the key, can name the line.
type lineIndex map[string]int

var (
	arrayHeader = regexp.MustCompile(`^\s*\[\[\s*([^\]]+?)\s*\]\]`)
	tableHeader = regexp.MustCompile(`^\s*\[\s*([^\]]+?)\s*\]`)
	keyLine     = regexp.MustCompile(`^\s*([A-Za-z0-9_\-."']+?)\s*=`)
)

// indexLines scans TOML source for table headers and key assignments. It is
// a best-effort index for messages, not a parser: the decoder has already
// accepted the document when it is used.
func indexLines(src []byte) lineIndex {
	idx := lineIndex{}
	counts := map[string]int{} // array-of-tables path -> entries seen
	prefix := ""
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case arrayHeader.MatchString(line):
			segs := splitKey(arrayHeader.FindStringSubmatch(line)[1])
			full := join(resolve(segs[:len(segs)-1], counts), segs[len(segs)-1])
			prefix = fmt.Sprintf("%s[%d]", full, counts[full])
			counts[full]++
			setOnce(idx, full, n)
			idx[prefix] = n
		case tableHeader.MatchString(line):
			prefix = resolve(splitKey(tableHeader.FindStringSubmatch(line)[1]), counts)
			setOnce(idx, prefix, n)
		case keyLine.MatchString(line):
			key := strings.Join(splitKey(keyLine.FindStringSubmatch(line)[1]), ".")
			setOnce(idx, join(prefix, key), n)
		}
	}
	return idx
}

// resolve turns header segments into a path, indexing array tables by their
// current entry: [objectives.notion] inside the 2nd [[objectives]] is
// objectives[1].notion.
func resolve(segs []string, counts map[string]int) string {
	p := ""
	for _, s := range segs {
		p = join(p, s)
		if c, ok := counts[p]; ok && c > 0 {
			p = fmt.Sprintf("%s[%d]", p, c-1)
		}
	}
	return p
}

func splitKey(k string) []string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return parts
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func setOnce(idx lineIndex, key string, n int) {
	if _, ok := idx[key]; !ok {
		idx[key] = n
	}
}

// line returns the line that sets key or, failing that, its nearest parent
// (a missing required key is reported at its table's header); 0 if unknown.
func (idx lineIndex) line(key string) int {
	for k := key; k != ""; k = parentKey(k) {
		if n, ok := idx[k]; ok {
			return n
		}
	}
	return 0
}

func parentKey(k string) string {
	if strings.HasSuffix(k, "]") {
		return k[:strings.LastIndex(k, "[")]
	}
	if i := strings.LastIndex(k, "."); i >= 0 {
		return k[:i]
	}
	return ""
}

var indexes = regexp.MustCompile(`\[\d+\]`)

// keyAt returns the indexed key set on line n whose path without indexes is
// key ("objectives.key_results.target" → "objectives[0].key_results[1].target"),
// or key itself.
func (idx lineIndex) keyAt(n int, key string) string {
	for k, line := range idx {
		if line == n && indexes.ReplaceAllString(k, "") == key {
			return k
		}
	}
	return key
}
