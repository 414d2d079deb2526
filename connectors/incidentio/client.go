package incidentio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/goalpost/goalpost/connectors/incident"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/pipeline/event"
)

const maxResponse = 32 << 20

// Client is the one incident.io API client, through the shared retrying
// transport (1,200 requests a minute per key); a 429 waits until the
// retry_after date incident.io puts in the body.
type Client struct {
	base  string
	token secret.String
	http  *http.Client
}

// NewClient builds the client over base (nil: http.DefaultTransport) and
// sleep (nil: real time); it does no I/O.
func NewClient(cfg *Config, base http.RoundTripper, sleep func(context.Context, time.Duration) error, now func() time.Time) *Client {
	if now == nil {
		now = time.Now
	}
	tr := transport.New(base, transport.Options{
		MaxWait: cfg.MaxWait.Or(DefaultMaxWait), Limiter: rate.NewLimiter(rate.Limit(1200.0/60.0), 10),
		Classify: classifier(now), Sleep: sleep, Now: now,
	})
	return &Client{base: cfg.baseURL(), token: cfg.Token, http: tr.Client(time.Minute)}
}

// classifier reads the 429 body's rate_limit.retry_after (an HTTP date).
func classifier(now func() time.Time) transport.Classifier {
	return func(resp *http.Response, peek func() []byte) transport.Decision {
		d := transport.Default(resp, peek)
		if !d.Retry || resp.StatusCode != http.StatusTooManyRequests {
			return d
		}
		var body struct {
			RateLimit struct {
				RetryAfter string `json:"retry_after"`
			} `json:"rate_limit"`
		}
		if json.Unmarshal(peek(), &body) == nil {
			if t, err := http.ParseTime(body.RateLimit.RetryAfter); err == nil {
				d.Wait = max(t.Sub(now()), time.Second)
			}
		}
		return d
	}
}

// StatusError is a non-2xx answer.
type StatusError struct {
	Status int
	Type   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("incident.io: status %d (%s)", e.Status, e.Type)
}

func (c *Client) get(ctx context.Context, path string, q url.Values, v any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("incident.io request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("incident.io %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("incident.io %s: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(body, &e)
		return &StatusError{Status: resp.StatusCode, Type: e.Type}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("incident.io %s: decode: %w", path, err)
	}
	return nil
}

// Incident reads one incident (GET /v2/incidents/{id}).
func (c *Client) Incident(ctx context.Context, id string) (apiIncident, error) {
	var out struct {
		Incident apiIncident `json:"incident"`
	}
	err := c.get(ctx, "/v2/incidents/"+url.PathEscape(id), nil, &out)
	return out.Incident, err
}

func isNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == http.StatusNotFound
}

// apiIncident is an incident as API v2 and the webhooks show it.
type apiIncident struct {
	ID        string    `json:"id"`
	Reference string    `json:"reference"`
	Name      string    `json:"name"`
	Permalink string    `json:"permalink"`
	Mode      string    `json:"mode"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Status    struct {
		Name     string `json:"name"`
		Category string `json:"category"`
	} `json:"incident_status"`
	Severity *struct {
		Name string `json:"name"`
	} `json:"severity"`
	Type *struct {
		Name string `json:"name"`
	} `json:"incident_type"`
	Creator struct {
		User *struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"creator"`
	CustomFields []struct {
		Field struct {
			Name string `json:"name"`
		} `json:"custom_field"`
		Values []struct {
			Option *struct {
				Value string `json:"value"`
			} `json:"value_option"`
			Catalog *struct {
				Name string `json:"name"`
			} `json:"value_catalog_entry"`
			Text string `json:"value_text"`
		} `json:"values"`
	} `json:"custom_field_entries"`
	Timestamps []struct {
		Timestamp struct {
			Name string `json:"name"`
		} `json:"incident_timestamp"`
		Value *struct {
			Value *time.Time `json:"value"`
		} `json:"value"`
	} `json:"incident_timestamp_values"`
}

// counted reports whether the incident counts at all: a real incident
// (not a test or tutorial) that was not declined, canceled or merged.
func (a apiIncident) counted() bool {
	switch a.Mode {
	case "test", "tutorial":
		return false
	}
	switch a.Status.Category {
	case "declined", "canceled", "merged":
		return false
	}
	return a.ID != "" && !a.CreatedAt.IsZero()
}

// model is the incident in the shared shape: resolved once its status is
// in the post-incident or closed category, at the configured timestamp
// (else its last update).
func (a apiIncident) model(cfg *Config) incident.Incident {
	in := incident.Incident{
		Source: event.SourceIncidentIO, ID: a.ID, Ref: a.Reference, Title: a.Name, URL: a.Permalink,
		Service: a.service(orDefault(cfg.ServiceField, DefaultServiceField)), Status: a.Status.Name, OpenedAt: a.CreatedAt,
	}
	if a.Severity != nil {
		in.Severity = a.Severity.Name
	}
	if a.Creator.User != nil {
		in.Actor = a.Creator.User.ID
	}
	if a.Status.Category == "learning" || a.Status.Category == "closed" {
		in.ResolvedAt = a.UpdatedAt
		want := orDefault(cfg.ResolvedTimestamp, DefaultResolvedTimestamp)
		for _, ts := range a.Timestamps {
			if strings.EqualFold(ts.Timestamp.Name, want) && ts.Value != nil && ts.Value.Value != nil {
				in.ResolvedAt = *ts.Value.Value
			}
		}
	}
	return in
}

// service is the first value of the named custom field, else the
// incident type's name.
func (a apiIncident) service(field string) string {
	for _, f := range a.CustomFields {
		if !strings.EqualFold(f.Field.Name, field) {
			continue
		}
		for _, v := range f.Values {
			switch {
			case v.Catalog != nil && v.Catalog.Name != "":
				return v.Catalog.Name
			case v.Option != nil && v.Option.Value != "":
				return v.Option.Value
			case v.Text != "":
				return v.Text
			}
		}
	}
	if a.Type != nil {
		return a.Type.Name
	}
	return ""
}
