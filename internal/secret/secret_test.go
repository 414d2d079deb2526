package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	s := String("hunter2-token")
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "token", s)
	j, _ := json.Marshal(struct{ T String }{s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q", s, s, s, s, s), logs.String(), string(j)} {
		if strings.Contains(out, "hunter2") {
			t.Fatalf("secret printed: %s", out)
		}
	}
	if s.Reveal() != "hunter2-token" || !s.IsSet() || String("").IsSet() || String("").String() != "" {
		t.Fatal("Reveal/IsSet/String disagree")
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "alpha", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name, in, want, wantErr string
	}{
		{"literal", "plain", "plain", ""},
		{"reference", "${A}", "alpha", ""},
		{"embedded", "Bearer ${A}!", "Bearer alpha!", ""},
		{"unset", "${MISSING}", "", "MISSING is not set"},
		{"empty counts as unset", "${EMPTY}", "", "EMPTY is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := String(tt.in).Expand(lookup)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "alpha") {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err != nil || got.Reveal() != tt.want {
				t.Fatalf("got %q, %v", got.Reveal(), err)
			}
		})
	}
}
