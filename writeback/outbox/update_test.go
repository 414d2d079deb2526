package outbox_test

import (
	"strings"
	"testing"

	"github.com/goalpost/goalpost/writeback/outbox"
)

func TestUpdateVersion(t *testing.T) {
	b, err := outbox.Update{KRKey: "kr-1", Current: 3, Status: "on_track"}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body, err string
	}{
		{name: "current version", body: string(b)},
		{name: "newer version", body: strings.Replace(string(b), `"v":1`, `"v":2`, 1), err: "version 2, this goalpost reads version 1"},
		{name: "no version", body: `{"kr_key":"kr-1"}`, err: "version 0"},
		{name: "not JSON", body: `[`, err: "decode update"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := outbox.DecodeUpdate([]byte(tt.body))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || u.KRKey != "kr-1" || u.Current != 3 || u.Version != outbox.UpdateVersion {
				t.Fatalf("DecodeUpdate = %+v, %v", u, err)
			}
		})
	}
}
