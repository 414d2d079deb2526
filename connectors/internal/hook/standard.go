package hook

import (
	"crypto/hmac"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// StandardTolerance is how far a Standard Webhooks timestamp may be from
// now (Svix's and GitLab's signing tokens use the same scheme).
const StandardTolerance = 5 * time.Minute

// StandardKey decodes a Standard Webhooks signing secret: "whsec_" (the
// prefix may be left out) followed by the base64 key.
func StandardKey(secret string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
}

// VerifyStandard reports whether signatures (the webhook-signature header:
// space-separated "v1,<base64>" values, several during a key rotation)
// holds the HMAC-SHA256 under key of "<id>.<timestamp>.<body>", with id
// set and timestamp (Unix seconds) within StandardTolerance of now. It
// compares in constant time and never panics on any header.
func VerifyStandard(key, body []byte, id, timestamp, signatures string, now time.Time) bool {
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || id == "" || len(key) == 0 || now.Sub(time.Unix(secs, 0)).Abs() > StandardTolerance {
		return false
	}
	want := Sign(key, []byte(id+"."+timestamp+"."+string(body)))
	for _, s := range strings.Fields(signatures) {
		sig, ok := strings.CutPrefix(s, "v1,")
		if got, err := base64.StdEncoding.DecodeString(sig); ok && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}
