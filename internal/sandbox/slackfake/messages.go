package slackfake

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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
	hold, made := f.hold, *m
	if hold != nil && strings.HasPrefix(m.Key, hold.prefix) {
		f.hold = nil
	} else {
		hold = nil
	}
	f.mu.Unlock()
	if hold != nil {
		hold.made <- made
		<-r.Context().Done()
		return
	}
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
// metadata when include_all_metadata is set, a page of limit (default 100,
// at most 999) at a time: has_more and response_metadata.next_cursor lead
// to the next page, as in Slack.
func (f *Fake) history(w http.ResponseWriter, r *http.Request) {
	form := r.PostForm
	oldest, _ := strconv.ParseFloat(form.Get("oldest"), 64)
	withMeta := form.Get("include_all_metadata") == "true"
	limit, err := strconv.Atoi(cmp.Or(form.Get("limit"), "100"))
	if err != nil || limit < 1 || limit > 999 {
		fail(w, "invalid_limit")
		return
	}
	from := ""
	if c := form.Get("cursor"); c != "" {
		raw, err := base64.StdEncoding.DecodeString(c)
		if err != nil || !strings.HasPrefix(string(raw), "next_ts:") {
			fail(w, "invalid_cursor")
			return
		}
		from = strings.TrimPrefix(string(raw), "next_ts:")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []any{}
	next := ""
	for i := len(f.messages) - 1; i >= 0; i-- {
		m := f.messages[i]
		ts, _ := strconv.ParseFloat(m.TS, 64)
		if m.Channel != form.Get("channel") || ts < oldest {
			continue
		}
		if from != "" { // skip the messages newer than the cursor's
			if m.TS != from {
				continue
			}
			from = ""
		}
		if len(out) == limit {
			next = base64.StdEncoding.EncodeToString([]byte("next_ts:" + m.TS))
			break
		}
		msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text}
		if withMeta && m.Key != "" {
			msg["metadata"] = map[string]any{"event_type": "goalpost_message", "event_payload": map[string]string{"key": m.Key}}
		}
		out = append(out, msg)
	}
	reply(w, map[string]any{"ok": true, "messages": out, "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next}})
}
