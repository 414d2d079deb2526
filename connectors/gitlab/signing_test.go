package gitlab

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/internal/hook"
	"github.com/goalpost/goalpost/internal/secret"
)

// testSigningToken is a signing token as GitLab shows it: whsec_ and the
// base64 of 32 bytes.
const testSigningToken = "whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// signedDelivery is a delivery signed as GitLab signs with a signing
// token, at a time.
func signedDelivery(t *testing.T, body []byte, id string, at time.Time, token string) *http.Request {
	t.Helper()
	key, err := hook.StandardKey(token)
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/gitlab", bytes.NewReader(body))
	req.Header.Set("X-Gitlab-Event", "Deployment Hook")
	req.Header.Set("Idempotency-Key", id)
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(hook.Sign(key, []byte(id+"."+ts+"."+string(body)))))
	return req
}

// TestSigningToken: with signing_token set, only deliveries GitLab signed
// (Standard Webhooks: id.timestamp.body) are stored; the secret token, when
// also set, is still required.
func TestSigningToken(t *testing.T) {
	body := deploymentPayload(testProject, "failed", "production")
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-32-byte-signing-token!!!"))
	tests := []struct {
		name      string
		onlySign  bool // no webhook_secret configured
		token     string
		at        time.Duration // signed this long after now
		tamper    func(*http.Request)
		want      int
		wantEvent bool
	}{
		{"signed", false, testSigningToken, 0, nil, 200, true},
		{"signed, signing token only", true, testSigningToken, 0, func(r *http.Request) { r.Header.Del("X-Gitlab-Token") }, 200, true},
		{"rotation: the second signature matches", false, testSigningToken, 0, func(r *http.Request) {
			r.Header.Set("webhook-signature", "v1,AAAA "+r.Header.Get("webhook-signature"))
		}, 200, true},
		{"forged", false, other, 0, nil, 401, false},
		{"unsigned", false, testSigningToken, 0, func(r *http.Request) { r.Header.Del("webhook-signature") }, 401, false},
		{"stale", false, testSigningToken, -10 * time.Minute, nil, 401, false},
		{"another delivery's id", false, testSigningToken, 0, func(r *http.Request) { r.Header.Set("webhook-id", "k-other") }, 401, false},
		{"signed but without the secret token", false, testSigningToken, 0, func(r *http.Request) { r.Header.Del("X-Gitlab-Token") }, 401, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) {
				c.SigningToken = secret.String(testSigningToken)
				if tt.onlySign {
					c.WebhookSecret = ""
				}
			})
			h, err := NewWebhook(e.cfg, e.pub, nil, WithSignatureClock(func() time.Time { return t0 }))
			if err != nil {
				t.Fatal(err)
			}
			req := signedDelivery(t, body, "k-1", t0.Add(tt.at), tt.token)
			req.Header.Set("X-Gitlab-Token", testSecret)
			if tt.tamper != nil {
				tt.tamper(req)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want || (len(e.pub.events) > 0) != tt.wantEvent {
				t.Fatalf("status %d with %d events, want %d (%s)", rec.Code, len(e.pub.events), tt.want, rec.Body)
			}
		})
	}
}

func TestSigningTokenConfig(t *testing.T) {
	tests := []struct {
		name, token string
		ok          bool
	}{
		{"whsec", testSigningToken, true},
		{"no prefix", testSigningToken[len("whsec_"):], false},
		{"not base64", "whsec_!!!", false},
		{"too short", "whsec_" + base64.StdEncoding.EncodeToString([]byte("short")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{Token: testToken, SigningToken: secret.String(tt.token), Projects: []ProjectConfig{{Path: testProject}}}
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v", err)
			}
		})
	}
	if _, err := NewWebhook(&Config{Projects: []ProjectConfig{{Path: testProject}}}, &memPublisher{}, nil); err == nil {
		t.Fatal("a webhook without secret token or signing token was built")
	}
}
