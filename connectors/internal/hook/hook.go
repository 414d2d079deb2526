// Package hook holds what every webhook receiver does the same way: read
// the raw body once within a size limit, check an HMAC-SHA256 signature
// over it in constant time, decode it (ReadJSON), and store its events
// before answering (Publish). What each service signs and which events a
// delivery means stay in its own connector.
package hook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

// Deadline bounds how long a receiver of a service with a short answer
// deadline (Linear: 5 s; Jira) spends storing a delivery: past it the
// stream counts as unavailable and the receiver answers 503, so the sender
// retries instead of timing out. GitHub's receiver has its own 8 s budget
// (GitHub allows 10 s), which attribution API calls share.
const Deadline = 4 * time.Second

// Publish stores a delivery's events and answers 200, or 503 "not stored,
// retry" (logged as "<service> webhook: publish failed" with the delivery
// id) when the stream did not store them within ctx, which the caller
// bounds by Deadline. No events: 200 at once.
func Publish(ctx context.Context, w http.ResponseWriter, pub connector.Publisher, evs []event.Event, log *slog.Logger, service, delivery string) {
	if len(evs) > 0 {
		if err := pub.Publish(ctx, evs...); err != nil {
			log.Warn(service+" webhook: publish failed", "delivery", delivery, "err", err)
			http.Error(w, "not stored, retry", http.StatusServiceUnavailable)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// ReadBody reads a delivery's raw body. It answers 405 to anything but POST,
// 413 when the body exceeds max (or the server's own limit), and 400 when
// the body cannot be read; ok is false when it answered.
func ReadBody(w http.ResponseWriter, r *http.Request, max int64) (body []byte, ok bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return nil, false
	}
	return body, true
}

// ReadJSON reads a delivery (see ReadBody), checks its signature with
// verify (401 "bad signature" when it fails, before anything is decoded)
// and decodes the JSON body into v (400 "malformed JSON"); ok is false
// when it answered.
func ReadJSON(w http.ResponseWriter, r *http.Request, max int64, verify func(body []byte) bool, v any) (ok bool) {
	body, ok := ReadBody(w, r, max)
	if !ok {
		return false
	}
	if !verify(body) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		http.Error(w, "malformed JSON", http.StatusBadRequest)
		return false
	}
	return true
}

// Sign returns HMAC-SHA256(secret, body).
func Sign(secret, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifyHex reports whether sig is the hex HMAC-SHA256 of body (Linear's
// Linear-Signature), comparing in constant time.
func VerifyHex(secret, body []byte, sig string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	return err == nil && len(got) > 0 && hmac.Equal(got, Sign(secret, body))
}

// VerifyPrefixed reports whether header is "sha256=" followed by the hex
// HMAC-SHA256 of body (GitHub's X-Hub-Signature-256, Jira's X-Hub-Signature,
// goalpost's deploy documents), comparing in constant time.
func VerifyPrefixed(secret, body []byte, header string) bool {
	sig, ok := strings.CutPrefix(header, "sha256=")
	return ok && VerifyHex(secret, body, sig)
}

// Reply answers with status and a small JSON body {"status": msg}.
func Reply(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": msg})
}

// EqualToken compares a shared secret token with the one a request sent,
// in constant time; an empty token never matches.
func EqualToken(want, got string) bool {
	return got != "" && hmac.Equal([]byte(want), []byte(got))
}
