package engine

import (
	"strings"
	"testing"

	"github.com/goalpost/goalpost/rules"
)

func TestStateVersion(t *testing.T) {
	b, err := encodeState(rules.Result{KRKey: "kr-1", Current: 3, Status: rules.StatusOnTrack})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body, err string
	}{
		{name: "current version", body: string(b)},
		{name: "newer version", body: strings.Replace(string(b), `"v":1`, `"v":2`, 1), err: "version 2, this goalpost reads version 1"},
		{name: "no version", body: `{"kr_key":"kr-1"}`, err: "version 0"},
		{name: "not JSON", body: `{`, err: "decode stored result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := DecodeState([]byte(tt.body))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || res.KRKey != "kr-1" || res.Current != 3 {
				t.Fatalf("DecodeState = %+v, %v", res, err)
			}
		})
	}
}
