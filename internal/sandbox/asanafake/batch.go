package asanafake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
)

// maxBatchActions is the most actions Asana's batch API takes.
const maxBatchActions = 10

// batch is POST /batch: like Asana, it runs each action (GET only here)
// against the API as its own request and answers, in order, each one's
// status_code, headers and body. No actions, or more than 10, is 400.
// Only the "POST /batch" itself counts as a request.
func (f *Fake) batch(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Data struct {
			Actions []struct {
				RelativePath string            `json:"relative_path"`
				Method       string            `json:"method"`
				Data         map[string]string `json:"data"`
				Options      struct {
					Fields []string `json:"fields"`
				} `json:"options"`
			} `json:"actions"`
		} `json:"data"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Data.Actions) == 0 {
		fail(w, http.StatusBadRequest, "actions: Missing input")
		return
	}
	if len(in.Data.Actions) > maxBatchActions {
		fail(w, http.StatusBadRequest, "actions: Too many actions in a batch request, the maximum is 10")
		return
	}
	out := make([]map[string]any, 0, len(in.Data.Actions))
	for _, a := range in.Data.Actions {
		if !strings.EqualFold(a.Method, http.MethodGet) || strings.Contains(a.RelativePath, "?") {
			fail(w, http.StatusBadRequest, "actions: only get actions without a query string are supported by the fake")
			return
		}
		q := url.Values{}
		for k, v := range a.Data {
			q.Set(k, v)
		}
		if len(a.Options.Fields) > 0 {
			q.Set("opt_fields", strings.Join(a.Options.Fields, ","))
		}
		sub := httptest.NewRequest(http.MethodGet, a.RelativePath+"?"+q.Encode(), nil)
		rec := httptest.NewRecorder()
		f.mux.ServeHTTP(rec, sub)
		out = append(out, map[string]any{"status_code": rec.Code, "headers": map[string]any{}, "body": json.RawMessage(rec.Body.Bytes())})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}
