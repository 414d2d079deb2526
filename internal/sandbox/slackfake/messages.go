package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

func (f *Fake) post(w http.ResponseWriter, r *http.Request) {
	ch := r.PostForm.Get("channel")
	if ch == "" || ch == "C_ARCHIVED" {
		fail(w, map[bool]string{true: "channel_not_found", false: "is_archived"}[ch == ""])
		return
	}
	var meta struct {
		EventType    string            `json:"event_type"`
		EventPayload map[string]string `json:"event_payload"`
	}
	if s := r.PostForm.Get("metadata"); s != "" && json.Unmarshal([]byte(s), &meta) != nil {
		fail(w, "invalid_metadata_format")
		return
	}
	if r.PostForm.Get("blocks") != "" && !json.Valid([]byte(r.PostForm.Get("blocks"))) {
		fail(w, "invalid_blocks")
		return
	}
	f.mu.Lock()
	f.seq++
	m := &Message{TS: fmt.Sprintf("%d.%06d", f.now().Unix(), f.seq), Channel: ch, Text: r.PostForm.Get("text"),
		Blocks: r.PostForm.Get("blocks"), Key: meta.EventPayload["key"]}
	f.messages = append(f.messages, m)
	lost := f.lose > 0
	if lost {
		f.lose--
	}
	f.mu.Unlock()
	if lost {
		http.Error(w, "upstream connect error", http.StatusInternalServerError)
		return
	}
	reply(w, map[string]any{"ok": true, "channel": ch, "ts": m.TS})
}

func (f *Fake) update(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.messages {
		if m.Channel == r.PostForm.Get("channel") && m.TS == r.PostForm.Get("ts") {
			m.Text, m.Blocks = r.PostForm.Get("text"), r.PostForm.Get("blocks")
			m.Edits++
			reply(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS})
			return
		}
	}
	fail(w, "message_not_found")
}

// history lists a channel's messages newest first since oldest, with
// metadata when include_all_metadata is set.
func (f *Fake) history(w http.ResponseWriter, r *http.Request) {
	oldest, _ := strconv.ParseFloat(r.PostForm.Get("oldest"), 64)
	withMeta := r.PostForm.Get("include_all_metadata") == "true"
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []any{}
	for i := len(f.messages) - 1; i >= 0; i-- {
		m := f.messages[i]
		ts, _ := strconv.ParseFloat(m.TS, 64)
		if m.Channel != r.PostForm.Get("channel") || ts < oldest {
			continue
		}
		msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text}
		if withMeta && m.Key != "" {
			msg["metadata"] = map[string]any{"event_type": "goalpost_message", "event_payload": map[string]string{"key": m.Key}}
		}
		out = append(out, msg)
	}
	reply(w, map[string]any{"ok": true, "messages": out, "has_more": false})
}
