package jira

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// The Flagged field has another id on this site: found by name it blocks
// the flagged issue; a configured id the site lacks fails the poll with the
// id to use; "-" turns the check off.
func TestFlaggedFieldFoundByName(t *testing.T) {
	tests := []struct {
		name        string
		configured  string
		wantBlocked bool
		wantErr     string // FlagFieldError.Found; "" no error
	}{
		{"unset: found by name", "", true, ""},
		{"configured right", "customfield_10099", true, ""},
		{"configured id unknown here", "customfield_10021", false, "customfield_10099"},
		{"disabled", "-", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeJira()
			fake.flagField = "customfield_10099"
			fake.issues = []*fakeIssue{{ID: "10005", Key: "AUTH-5", Type: "Story", Summary: "Flagged story", StatusID: "3",
				Created: t0.Add(-time.Hour), Updated: t0.Add(-time.Minute),
				Custom: map[string]any{"customfield_10099": []any{map[string]any{"value": "Impediment"}}}}}
			h := newHarness(t, fake, func(c *Config) { c.Blocked.FlagField = tt.configured })
			err := h.src.PollOnce(t.Context())
			var ferr *FlagFieldError
			switch {
			case tt.wantErr != "":
				if !errors.As(err, &ferr) || ferr.Found != tt.wantErr {
					t.Fatalf("err = %v, want a FlagFieldError naming %s", err, tt.wantErr)
				}
				if len(h.pub.events()) != 0 {
					t.Error("events published with a wrong flag field")
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			blocked := false
			for _, ev := range h.pub.events() {
				blocked = blocked || ev.Attrs["blocked"] == "true"
			}
			if blocked != tt.wantBlocked {
				t.Errorf("blocked = %v, want %v", blocked, tt.wantBlocked)
			}
		})
	}
}

// doctor names each misconfiguration with its fix: an unknown project, a
// flag_field the site lacks, bad credentials.
func TestDoctor(t *testing.T) {
	tests := []struct {
		name   string
		mod    func(*Config)
		failed []string // names of the failed checks
	}{
		{"all good", nil, nil},
		{"unknown project", func(c *Config) { c.Projects = []string{"AUTH", "NOPE"} }, []string{"jira project NOPE: readable"}},
		{"wrong flag field", func(c *Config) { c.Blocked.FlagField = "customfield_10099" }, []string{"jira: Flagged field"}},
		{"bad token", func(c *Config) { c.Token = "wrong" }, []string{"jira: credentials"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, newFakeJira(), tt.mod)
			var failed []string
			for _, ck := range Doctor(t.Context(), h.cfg, WithBaseTransport(h.srv.Client().Transport)) {
				if !ck.OK {
					failed = append(failed, ck.Name)
					if ck.Fix == "" {
						t.Errorf("%s failed without a fix", ck.Name)
					}
				}
			}
			if !slices.Equal(failed, tt.failed) {
				t.Errorf("failed %v, want %v", failed, tt.failed)
			}
		})
	}
}
