// Package keys finds the issue keys (Jira AUTH-123, Linear ENG-42) a code
// change names in its branch, title and description, the same way for every
// code host.
package keys

import (
	"regexp"
	"strings"
)

// issueKeyRE finds Jira keys (AUTH-123) and Linear identifiers (ENG-42).
var issueKeyRE = regexp.MustCompile(`\b[A-Z][A-Z0-9]{1,9}-[0-9]+\b`)

// notIssueKeys are prefixes of well-known non-issue tokens (UTF-8, SHA-256).
var notIssueKeys = map[string]bool{
	"UTF": true, "SHA": true, "ISO": true, "RFC": true, "CVE": true, "CWE": true, "HTTP": true,
	"TLS": true, "SSL": true, "AES": true, "RSA": true, "PEP": true, "ECMA": true, "MD": true,
}

// branchWords are branch-name words that look like keys once upper-cased
// ("fix-12", "release-2026").
var branchWords = map[string]bool{
	"PR": true, "FIX": true, "HOTFIX": true, "BUGFIX": true, "FEAT": true, "FEATURE": true,
	"RELEASE": true, "CHORE": true, "WIP": true, "TEST": true, "DOCS": true, "REVERT": true,
	"PATCH": true, "BUMP": true, "UPDATE": true, "DEPENDABOT": true, "RENOVATE": true, "V": true,
}

// Find returns the issue keys named in a change's source branch (matched
// case-insensitively: tools generate lower-case branch names such as
// "alice/eng-42-fix"), title and body, first mention first.
func Find(branch, title, body string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string, skip map[string]bool) {
		for _, k := range issueKeyRE.FindAllString(s, -1) {
			prefix, _, _ := strings.Cut(k, "-")
			if !seen[k] && !notIssueKeys[prefix] && !skip[prefix] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	add(strings.ToUpper(branch), branchWords)
	add(title, nil)
	add(body, nil)
	return out
}
