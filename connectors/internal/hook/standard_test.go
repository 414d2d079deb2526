package hook

import (
	"testing"
	"time"
)

// The Standard Webhooks / Svix published test vector (also incident.io's).
const (
	stdSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	stdID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	stdTS     = "1614265330"
	stdBody   = `{"test": 2432232314}`
	stdSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestVerifyStandard(t *testing.T) {
	key, err := StandardKey(stdSecret)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1614265330, 0)
	tests := []struct {
		name, id, ts, sigs string
		now                time.Time
		ok                 bool
	}{
		{"published vector", stdID, stdTS, stdSig, at, true},
		{"rotation: the second matches", stdID, stdTS, "v1,AAAA " + stdSig, at, true},
		{"forged", stdID, stdTS, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=", at, false},
		{"missing", stdID, stdTS, "", at, false},
		{"other scheme", stdID, stdTS, "v1a," + stdSig[3:], at, false},
		{"other id", "msg_other", stdTS, stdSig, at, false},
		{"no id", "", stdTS, stdSig, at, false},
		{"stale", stdID, stdTS, stdSig, at.Add(6 * time.Minute), false},
		{"from the future", stdID, stdTS, stdSig, at.Add(-6 * time.Minute), false},
		{"no timestamp", stdID, "", stdSig, at, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifyStandard(key, []byte(stdBody), tt.id, tt.ts, tt.sigs, tt.now); got != tt.ok {
				t.Fatalf("got %v, want %v", got, tt.ok)
			}
		})
	}
	if VerifyStandard(nil, []byte(stdBody), stdID, stdTS, stdSig, at) {
		t.Fatal("an empty key verified a signature")
	}
}

// FuzzVerifyStandard: no header parses into a panic, and nothing but the
// real signature verifies.
func FuzzVerifyStandard(f *testing.F) {
	f.Add(stdID, stdTS, stdSig)
	f.Add(stdID, stdTS, "v1,AAAA "+stdSig)
	f.Add("", "", "")
	f.Add(stdID, "-99999999999999999999", "v1,")
	f.Add(stdID, stdTS, "v1,,,, v2,x v1,====")
	key, _ := StandardKey(stdSecret)
	at := time.Unix(1614265330, 0)
	f.Fuzz(func(t *testing.T, id, ts, sigs string) {
		if VerifyStandard(key, []byte(stdBody), id, ts, sigs, at) && (id != stdID || ts != stdTS) {
			t.Fatalf("verified id %q ts %q sigs %q", id, ts, sigs)
		}
	})
}
