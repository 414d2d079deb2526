package jira

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// apiIssue is an issue in Jira's v2 representation, as returned by search
// and sent in webhooks. Only what goalpost reads is decoded; custom fields
// stay raw in Fields.Raw.
type apiIssue struct {
	ID        string        `json:"id"`
	Key       string        `json:"key"`
	Fields    apiFields     `json:"fields"`
	Changelog *apiChangelog `json:"changelog"`
	// completeChangelog is set when Changelog is known to hold every entry.
	completeChangelog bool
}

type apiChangelog struct {
	StartAt    int          `json:"startAt"`
	MaxResults int          `json:"maxResults"`
	Total      int          `json:"total"`
	Histories  []apiHistory `json:"histories"`
}

// truncated reports whether the search embedded only part of the changelog.
// Enhanced search returns the most recent entries only (about 20-40); with
// no total to compare, a changelog of maxResults or more entries is assumed
// truncated.
func (c *apiChangelog) truncated() bool {
	if c == nil {
		return false
	}
	n := len(c.Histories)
	if c.Total > 0 {
		return c.StartAt > 0 || n < c.Total
	}
	return c.MaxResults > 0 && n >= c.MaxResults
}

type apiHistory struct {
	ID      string    `json:"id"`
	Author  *apiUser  `json:"author"`
	Created jiraTime  `json:"created"`
	Items   []apiItem `json:"items"`
}

type apiItem struct {
	Field      string    `json:"field"`
	FieldID    string    `json:"fieldId"`
	From       flexValue `json:"from"`
	FromString flexValue `json:"fromString"`
	To         flexValue `json:"to"`
	ToString   flexValue `json:"toString"`
}

type apiUser struct {
	AccountID string `json:"accountId"`
	Key       string `json:"key"`
	Name      string `json:"name"`
}

// handle is the user's stable id: the Cloud accountId, else the Server key.
func (u *apiUser) handle() string {
	switch {
	case u == nil:
		return ""
	case u.AccountID != "":
		return u.AccountID
	case u.Key != "":
		return u.Key
	}
	return u.Name
}

type named struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type issueType struct {
	Name    string `json:"name"`
	Subtask bool   `json:"subtask"`
}

type apiStatus struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	StatusCategory struct {
		Key string `json:"key"`
	} `json:"statusCategory"`
}

type linkedIssue struct {
	Key    string `json:"key"`
	Fields struct {
		IssueType *named `json:"issuetype"`
	} `json:"fields"`
}

type apiLink struct {
	Type         named        `json:"type"`
	InwardIssue  *linkedIssue `json:"inwardIssue"`
	OutwardIssue *linkedIssue `json:"outwardIssue"`
}

// apiFields are the issue fields goalpost reads.
type apiFields struct {
	Summary                  string       `json:"summary"`
	IssueType                *issueType   `json:"issuetype"`
	Project                  *apiProject  `json:"project"`
	Status                   *apiStatus   `json:"status"`
	Resolution               *named       `json:"resolution"`
	ResolutionDate           jiraTime     `json:"resolutiondate"`
	Created                  jiraTime     `json:"created"`
	Updated                  jiraTime     `json:"updated"`
	StatusCategoryChangeDate jiraTime     `json:"statuscategorychangedate"`
	Priority                 *named       `json:"priority"`
	Labels                   []string     `json:"labels"`
	Assignee                 *apiUser     `json:"assignee"`
	Reporter                 *apiUser     `json:"reporter"`
	Creator                  *apiUser     `json:"creator"`
	Parent                   *linkedIssue `json:"parent"`
	IssueLinks               []apiLink    `json:"issuelinks"`
	// Raw holds every field as sent, for custom fields.
	Raw map[string]json.RawMessage `json:"-"`
}

type apiProject struct {
	Key string `json:"key"`
}

// UnmarshalJSON decodes the known fields and keeps all of them raw.
func (f *apiFields) UnmarshalJSON(b []byte) error {
	type plain apiFields
	if err := json.Unmarshal(b, (*plain)(f)); err != nil {
		return err
	}
	return json.Unmarshal(b, &f.Raw)
}

// requestFields lists the fields a search asks for: the enhanced search
// returns only ids unless told.
func requestFields(cfg *Config, flag string) []string {
	fs := []string{"summary", "issuetype", "project", "status", "resolution", "resolutiondate",
		"created", "updated", "statuscategorychangedate", "priority", "labels", "assignee",
		"reporter", "creator", "parent", "issuelinks"}
	for _, id := range []string{cfg.StoryPointsField, cfg.EpicLinkField, flag} {
		if id != "" {
			fs = append(fs, id)
		}
	}
	fs = append(fs, slices.Sorted(maps.Values(cfg.NumberFields))...)
	slices.Sort(fs)
	return slices.Compact(fs)
}

// jiraTime parses Jira's timestamps ("2025-01-02T03:04:05.000+0000", or
// RFC 3339, or a number of epoch milliseconds); null and "" leave it zero.
type jiraTime struct{ time.Time }

func (t *jiraTime) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" || s == `""` {
		return nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		t.Time = timeMillis(ms)
		return nil
	}
	v, err := strconv.Unquote(s)
	if err != nil {
		return fmt.Errorf("jira time %s: not a string", s)
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999-0700", time.RFC3339Nano, "2006-01-02T15:04:05.999Z0700"} {
		if p, err := time.Parse(layout, v); err == nil {
			t.Time = p
			return nil
		}
	}
	return fmt.Errorf("jira time %q: unknown layout", v)
}

// flexValue is a changelog value that Jira sends as a string, a number or
// null.
type flexValue string

func (v *flexValue) UnmarshalJSON(b []byte) error {
	switch s := string(b); {
	case s == "null":
		*v = ""
	case strings.HasPrefix(s, `"`):
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*v = flexValue(str)
	default:
		*v = flexValue(s)
	}
	return nil
}

// number reads a numeric custom field sent as a number or a numeric string.
func number(raw json.RawMessage) (float64, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return f, true
		}
	}
	return 0, false
}

// text reads a custom field holding a string, an option ({"value": ...}) or
// an issue ({"key": ...}); "" when empty.
func text(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct{ Value, Key, Name string }
	if json.Unmarshal(raw, &obj) == nil {
		return firstNonEmpty(obj.Value, obj.Key, obj.Name)
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) == nil && len(arr) > 0 {
		return text(arr[0])
	}
	return ""
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func timeMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
