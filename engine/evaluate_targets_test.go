package engine

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// Results carry no writeback targets (issue 10: targets belong to the
// writeback wiring); the engine reads them from the key result's config,
// and a key result pointed at another page changes the fingerprint, so it
// is written there.
func TestTargetsComeFromTheConfigNotTheResult(t *testing.T) {
	typ := reflect.TypeOf(rules.Result{})
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		for _, bad := range []string{"notion", "linear", "asana", "page", "project", "initiative", "goal"} {
			if strings.Contains(strings.ToLower(f.Name+" "+tag), bad) {
				t.Errorf("rules.Result.%s (json %q) looks like a writeback target", f.Name, tag)
			}
		}
	}
	kr := rules.KeyResult{NotionPage: "p1", LinearProject: "proj", LinearInitiative: "ini", AsanaGoal: "g"}
	want := []outbox.Target{outbox.NotionPage("p1"), outbox.LinearProject("proj"), outbox.LinearInitiative("ini"), outbox.AsanaGoal("g")}
	if got := targets(kr); !reflect.DeepEqual(got, want) {
		t.Errorf("targets = %v, want %v", got, want)
	}
	res := rules.Result{KRKey: "k", Current: 3}
	a, _ := fingerprint(res, targets(kr))
	kr.NotionPage = "p2"
	b, _ := fingerprint(res, targets(kr))
	if a == b {
		t.Error("a moved Notion page leaves the fingerprint unchanged")
	}
	if body, _ := json.Marshal(res); strings.Contains(string(body), "p1") {
		t.Errorf("stored result names a target: %s", body)
	}
}
