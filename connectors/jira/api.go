package jira

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	jira "github.com/andygrunwald/go-jira"

	"github.com/goalpost/goalpost/internal/transport"
)

// api is the part of Jira's REST API (v2 representation) the poller uses,
// through go-jira's client for requests, auth and error decoding, and
// transport.Transport for retries and rate limits. Every method is a read
// and safe to retry.
type api struct {
	c          *jira.Client
	deployment string
}

func newAPI(cfg *Config, o *options) (*api, error) {
	topt := o.transport
	if topt.Classify == nil {
		now := topt.Now
		if now == nil {
			now = time.Now
		}
		topt.Classify = classifier(now)
	}
	rt := http.RoundTripper(transport.New(o.base, topt))
	var hc *http.Client
	if cfg.Email != "" {
		hc = (&jira.BasicAuthTransport{Username: cfg.Email, Password: cfg.Token.Reveal(), Transport: rt}).Client()
	} else {
		hc = (&jira.BearerAuthTransport{Token: cfg.Token.Reveal(), Transport: rt}).Client()
	}
	hc.Timeout = o.timeout
	c, err := jira.NewClient(hc, cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("jira client: %w", err)
	}
	return &api{c: c, deployment: cfg.Deployment}, nil
}

// classifier retries 429 and 5xx answers (Jira also sends Retry-After on some
// 503s), waiting for Retry-After or else the ISO-8601 X-RateLimit-Reset.
func classifier(now func() time.Time) transport.Classifier {
	return func(resp *http.Response, peek func() []byte) transport.Decision {
		d := transport.Default(resp, peek)
		if !d.Retry || resp.Header.Get("Retry-After") != "" {
			return d
		}
		if v := resp.Header.Get("X-RateLimit-Reset"); v != "" {
			for _, layout := range []string{"2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z07:00", time.RFC3339Nano} {
				if t, err := time.Parse(layout, v); err == nil {
					d.Wait = max(t.Sub(now()), time.Second)
					break
				}
			}
		}
		return d
	}
}

func (a *api) do(ctx context.Context, method, path string, body, out any) error {
	req, err := a.c.NewRequestWithContext(ctx, method, path, body)
	if err != nil {
		return fmt.Errorf("build %s: %w", trimQuery(path), err)
	}
	resp, err := a.c.Do(req, out)
	if err == nil {
		return nil
	}
	if resp == nil || (resp.StatusCode >= 200 && resp.StatusCode <= 299) {
		return fmt.Errorf("%s %s: %w", method, trimQuery(path), err)
	}
	return fmt.Errorf("%s %s: %w", method, trimQuery(path), newAPIError(resp.Response))
}

// APIError is a non-2xx answer from Jira (after retries).
type APIError struct {
	Status   int
	Messages []string // errorMessages and errors from the JSON body
}

func (e *APIError) Error() string {
	if len(e.Messages) == 0 {
		return fmt.Sprintf("http %d", e.Status)
	}
	return fmt.Sprintf("http %d: %s", e.Status, strings.Join(e.Messages, "; "))
}

func newAPIError(resp *http.Response) *APIError {
	defer resp.Body.Close()
	e := &APIError{Status: resp.StatusCode}
	var body struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<10))
	if json.Unmarshal(raw, &body) == nil {
		e.Messages = append(e.Messages, body.ErrorMessages...)
		for k, v := range body.Errors {
			e.Messages = append(e.Messages, k+": "+v)
		}
		sort.Strings(e.Messages[len(body.ErrorMessages):])
	}
	return e
}

func trimQuery(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

// timeZone reads the API user's profile time zone, in which Jira reads the
// date literals of a JQL query.
func (a *api) timeZone(ctx context.Context) (*time.Location, error) {
	var me struct {
		TimeZone string `json:"timeZone"`
	}
	if err := a.do(ctx, http.MethodGet, "rest/api/2/myself", nil, &me); err != nil {
		return nil, err
	}
	if me.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(me.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("user time zone %q: %w", me.TimeZone, err)
	}
	return loc, nil
}

// statusCategories maps every status id to its category key (new,
// indeterminate, done), so changelog transitions can be classified.
func (a *api) statusCategories(ctx context.Context) (map[string]string, error) {
	var list []struct {
		ID             string `json:"id"`
		StatusCategory struct {
			Key string `json:"key"`
		} `json:"statusCategory"`
	}
	if err := a.do(ctx, http.MethodGet, "rest/api/2/status", nil, &list); err != nil {
		return nil, err
	}
	m := make(map[string]string, len(list))
	for _, s := range list {
		m[s.ID] = s.StatusCategory.Key
	}
	return m, nil
}

// searchPage is one page of a JQL search.
type searchPage struct {
	Issues []apiIssue `json:"issues"`
	// Enhanced search (Cloud).
	NextPageToken string `json:"nextPageToken"`
	IsLast        bool   `json:"isLast"`
	// Offset search (Data Center).
	StartAt    int `json:"startAt"`
	MaxResults int `json:"maxResults"`
	Total      int `json:"total"`
}

// search returns one page: token is the enhanced search's nextPageToken on
// Cloud, or the decimal startAt offset on Data Center; next is "" on the
// last page. Cloud uses POST rest/api/2/search/jql only: the old
// rest/api/2/search is removed there (HTTP 410) and is never called.
func (a *api) search(ctx context.Context, jql string, fields []string, pageSize int, token string) (searchPage, string, error) {
	var p searchPage
	if a.deployment == DeploymentDataCenter {
		return a.searchOffset(ctx, jql, fields, pageSize, token)
	}
	body := map[string]any{"jql": jql, "fields": fields, "maxResults": pageSize, "expand": "changelog"}
	if token != "" {
		body["nextPageToken"] = token
	}
	if err := a.do(ctx, http.MethodPost, "rest/api/2/search/jql", body, &p); err != nil {
		return p, "", err
	}
	if p.IsLast || p.NextPageToken == "" {
		return p, "", nil
	}
	return p, p.NextPageToken, nil
}

// searchOffset is Data Center's offset search (GET rest/api/2/search with
// startAt), where the embedded changelog is complete.
func (a *api) searchOffset(ctx context.Context, jql string, fields []string, pageSize int, token string) (searchPage, string, error) {
	var p searchPage
	start, _ := strconv.Atoi(token)
	q := url.Values{}
	q.Set("jql", jql)
	q.Set("fields", strings.Join(fields, ","))
	q.Set("expand", "changelog")
	q.Set("startAt", strconv.Itoa(start))
	q.Set("maxResults", strconv.Itoa(pageSize))
	if err := a.do(ctx, http.MethodGet, "rest/api/2/search?"+q.Encode(), nil, &p); err != nil {
		return p, "", err
	}
	for i := range p.Issues {
		p.Issues[i].completeChangelog = true
	}
	next := start + len(p.Issues)
	if len(p.Issues) == 0 || next >= p.Total {
		return p, "", nil
	}
	return p, strconv.Itoa(next), nil
}

// changelog reads an issue's complete changelog, oldest first, following
// the pagination of rest/api/2/issue/{key}/changelog.
func (a *api) changelog(ctx context.Context, key string) ([]apiHistory, error) {
	var all []apiHistory
	for start := 0; ; {
		var page struct {
			Values     []apiHistory `json:"values"`
			StartAt    int          `json:"startAt"`
			MaxResults int          `json:"maxResults"`
			Total      int          `json:"total"`
			IsLast     bool         `json:"isLast"`
		}
		path := fmt.Sprintf("rest/api/2/issue/%s/changelog?startAt=%d&maxResults=100", url.PathEscape(key), start)
		if err := a.do(ctx, http.MethodGet, path, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Values...)
		start += len(page.Values)
		if page.IsLast || len(page.Values) == 0 || (page.Total > 0 && start >= page.Total) {
			return all, nil
		}
	}
}
