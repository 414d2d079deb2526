package pagerduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/goalpost/goalpost/connectors/incident"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/pipeline/event"
)

// maxResponse bounds one API answer.
const maxResponse = 16 << 20

// Client is the one PagerDuty REST client: requests go serially-spaced
// through the shared retrying transport (PagerDuty allows 960 a minute per
// key), 429s wait for Retry-After or ratelimit-reset (seconds until the
// reset), 5xx are retried a bounded number of times.
type Client struct {
	base  string
	token secret.String
	http  *http.Client
}

// ClientOption adjusts a Client.
type ClientOption func(*transport.Options, *http.RoundTripper)

// WithTransport sets the round tripper under the retrying transport and
// its sleep (tests advance a fake clock).
func WithTransport(rt http.RoundTripper, sleep func(context.Context, time.Duration) error) ClientOption {
	return func(o *transport.Options, base *http.RoundTripper) { *base, o.Sleep = rt, sleep }
}

// NewClient builds the client; it does no I/O.
func NewClient(cfg *Config, opts ...ClientOption) *Client {
	o := transport.Options{
		MaxWait: cfg.MaxWait.Or(DefaultMaxWait), Limiter: rate.NewLimiter(rate.Limit(960.0/60.0), 4), Classify: classify,
	}
	var base http.RoundTripper
	for _, f := range opts {
		f(&o, &base)
	}
	return &Client{base: strings.TrimSuffix(cfg.baseURL(), "/"), token: cfg.Token, http: transport.New(base, o).Client(time.Minute)}
}

// classify retries what transport.Default does; a 429 without Retry-After
// waits ratelimit-reset seconds when PagerDuty sent it.
func classify(resp *http.Response, peek func() []byte) transport.Decision {
	d := transport.Default(resp, peek)
	if s, err := strconv.Atoi(resp.Header.Get("ratelimit-reset")); d.Retry && err == nil && resp.Header.Get("Retry-After") == "" {
		d.Wait = time.Duration(max(s, 1)) * time.Second
	}
	return d
}

// StatusError is a non-2xx answer.
type StatusError struct {
	Status  int
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("pagerduty: status %d: %s", e.Status, e.Message)
}

// get decodes GET path?q into v.
func (c *Client) get(ctx context.Context, path string, q url.Values, v any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("pagerduty request: %w", err)
	}
	req.Header.Set("Authorization", "Token token="+c.token.Reveal())
	req.Header.Set("Accept", "application/vnd.pagerduty+json;version=2")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("pagerduty %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("pagerduty %s: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		return &StatusError{Status: resp.StatusCode, Message: e.Error.Message}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("pagerduty %s: decode: %w", path, err)
	}
	return nil
}

// apiIncident is an incident as the REST API shows it.
type apiIncident struct {
	ID                 string     `json:"id"`
	Number             int        `json:"incident_number"`
	Title              string     `json:"title"`
	Status             string     `json:"status"`
	Urgency            string     `json:"urgency"`
	HTMLURL            string     `json:"html_url"`
	CreatedAt          time.Time  `json:"created_at"`
	ResolvedAt         *time.Time `json:"resolved_at"`
	LastStatusChangeAt *time.Time `json:"last_status_change_at"`
	Service            ref        `json:"service"`
	Priority           *ref       `json:"priority"`
}

type ref struct {
	ID      string `json:"id"`
	Summary string `json:"summary"`
}

// model is the incident in the shared shape.
func (a apiIncident) model() incident.Incident {
	in := incident.Incident{
		Source: event.SourcePagerDuty, ID: a.ID, Ref: strconv.Itoa(a.Number), Title: a.Title, URL: a.HTMLURL,
		Service: a.Service.Summary, ServiceID: a.Service.ID, Severity: severity(a.Priority, a.Urgency),
		Status: a.Status, OpenedAt: a.CreatedAt,
	}
	if a.Status == "resolved" {
		switch {
		case a.ResolvedAt != nil:
			in.ResolvedAt = *a.ResolvedAt
		case a.LastStatusChangeAt != nil:
			in.ResolvedAt = *a.LastStatusChangeAt
		}
	}
	return in
}

// severity is the priority's name (P1…) when the incident has one, else
// its urgency (high, low).
func severity(p *ref, urgency string) string {
	if p != nil && p.Summary != "" {
		return p.Summary
	}
	return urgency
}

// Incident reads one incident.
func (c *Client) Incident(ctx context.Context, id string) (apiIncident, error) {
	var out struct {
		Incident apiIncident `json:"incident"`
	}
	err := c.get(ctx, "/incidents/"+url.PathEscape(id), nil, &out)
	return out.Incident, err
}

// isNotFound reports whether err is a 404.
func isNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == http.StatusNotFound
}
