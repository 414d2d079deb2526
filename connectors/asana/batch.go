package asana

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxBatch is the most actions Asana's batch API (POST /batch) takes in
// one request.
const maxBatch = 10

// batchResult is one action's answer in a batch response.
type batchResult struct {
	StatusCode int             `json:"status_code"`
	Body       json.RawMessage `json:"body"`
}

// fetchTasks reads tasks by gid with taskFields, through the batch API: one
// POST /batch per 10 tasks instead of one GET each (a single task is one
// plain GET). A task Asana answers 404 for (deleted, or no longer visible
// to the token) is absent from the result; any other failed action fails
// the whole read, with that action's status (429 and 5xx stay retryable).
// It is idempotent: every action is a read.
func (c *Client) fetchTasks(ctx context.Context, gids []string) (map[string]task, error) {
	out := make(map[string]task, len(gids))
	for start := 0; start < len(gids); start += maxBatch {
		chunk := gids[start:min(start+maxBatch, len(gids))]
		if len(chunk) == 1 {
			t, found, err := c.fetch(ctx, chunk[0])
			if err != nil {
				return nil, err
			}
			if found {
				out[chunk[0]] = t
			}
			continue
		}
		if err := c.batchTasks(ctx, chunk, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *Client) batchTasks(ctx context.Context, gids []string, out map[string]task) error {
	fields := strings.Split(taskFields, ",")
	actions := make([]map[string]any, len(gids))
	for i, g := range gids {
		actions[i] = map[string]any{"relative_path": "/tasks/" + url.PathEscape(g), "method": "get",
			"options": map[string]any{"fields": fields}}
	}
	var results []batchResult
	if err := c.Post(ctx, "/batch", map[string]any{"actions": actions}, &results); err != nil {
		return err
	}
	if len(results) != len(gids) {
		return fmt.Errorf("asana: batch of %d actions answered %d results", len(gids), len(results))
	}
	for i, r := range results {
		var env envelope
		_ = json.Unmarshal(r.Body, &env)
		switch {
		case r.StatusCode == http.StatusNotFound:
			continue
		case r.StatusCode < 200 || r.StatusCode > 299:
			e := &Error{Status: r.StatusCode, Message: http.StatusText(r.StatusCode)}
			if len(env.Errors) > 0 {
				e.Message = env.Errors[0].Message
			}
			return fmt.Errorf("asana: batch read of task %s: %w", gids[i], e)
		}
		var t task
		if err := decodeData(&env, &t); err != nil {
			return fmt.Errorf("asana: batch read of task %s: %w", gids[i], err)
		}
		out[gids[i]] = t
	}
	return nil
}
