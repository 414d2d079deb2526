package outbox_test

import (
	"testing"

	"github.com/goalpost/goalpost/writeback/outbox"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		name, in string
		want     outbox.Target
		err      bool
	}{
		{name: "notion page", in: "notion:page:abc", want: outbox.NotionPage("abc")},
		{name: "id with colons", in: "notion:page:https://www.notion.so/x-0123", want: outbox.NotionPage("https://www.notion.so/x-0123")},
		{name: "linear project", in: "linear:project:p1", want: outbox.LinearProject("p1")},
		{name: "linear initiative", in: "linear:initiative:i1", want: outbox.LinearInitiative("i1")},
		{name: "no id", in: "notion:page:", err: true},
		{name: "no kind", in: "notion::abc", err: true},
		{name: "service only", in: "notion", err: true},
		{name: "empty", in: "", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := outbox.ParseTarget(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Fatalf("ParseTarget(%q) = %+v, %v; want %+v (error %v)", tt.in, got, err, tt.want, tt.err)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestParseSelector(t *testing.T) {
	tests := []struct {
		name, in string
		want     outbox.Target
		err      bool
	}{
		{name: "all", in: "all"},
		{name: "empty", in: ""},
		{name: "service", in: "notion", want: outbox.Target{Service: "notion"}},
		{name: "service with colon", in: "linear:", want: outbox.Target{Service: "linear"}},
		{name: "one target", in: "notion:page:a", want: outbox.NotionPage("a")},
		{name: "service and kind only", in: "notion:page", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := outbox.ParseSelector(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Fatalf("ParseSelector(%q) = %+v, %v; want %+v (error %v)", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}
