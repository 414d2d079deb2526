package notion

import (
	"net/http"
	"net/url"
	"testing"
)

// TestClassify: the one retry policy for Notion. Answers that say the
// request was not applied are retried for every request; a server error is
// retried for reads and idempotent updates, never for the two requests
// that create something (a retry could duplicate the page or its blocks).
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name, method, path string
		status             int
		retry              bool
	}{
		{name: "read, 502", method: "GET", path: "/v1/blocks/b/children", status: 502, retry: true},
		{name: "property update, 503", method: "PATCH", path: "/v1/pages/p", status: 503, retry: true},
		{name: "database query, 500", method: "POST", path: "/v1/databases/d/query", status: 500, retry: true},
		{name: "page create, 504", method: "POST", path: "/v1/pages", status: 504},
		{name: "block append, 502", method: "PATCH", path: "/v1/blocks/b/children", status: 502},
		{name: "page create, 429", method: "POST", path: "/v1/pages", status: 429, retry: true},
		{name: "block append, 529", method: "PATCH", path: "/v1/blocks/b/children", status: 529, retry: true},
		{name: "block append, 409", method: "PATCH", path: "/v1/blocks/b/children", status: 409, retry: true},
		{name: "update, 409", method: "PATCH", path: "/v1/pages/p", status: 409, retry: true},
		{name: "not found", method: "GET", path: "/v1/pages/p", status: 404},
		{name: "not implemented", method: "GET", path: "/v1/pages/p", status: 501},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &http.Request{Method: tc.method, URL: &url.URL{Path: tc.path}}
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}, Request: req}
			if got := Classify(resp, func() []byte { return nil }).Retry; got != tc.retry {
				t.Errorf("retry = %v, want %v", got, tc.retry)
			}
		})
	}
}
