package attribution

import (
	"testing"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

func TestDeployEventIDs(t *testing.T) {
	d := Deploy{Source: event.SourceGitHub, Key: "42", Repo: "acme/api", Environment: "production", SHA: "abc", Succeeded: true, At: time.Now()}
	if d.EventID() != "github:deploy:acme/api:42:succeeded" {
		t.Fatal(d.EventID())
	}
	d.Succeeded = false
	if d.EventID() != "github:deploy:acme/api:42:failed" {
		t.Fatal(d.EventID())
	}
	d.Source, d.Key = event.SourceDeploy, "ci-9"
	if d.EventID() != "deploy:acme/api:production:ci-9:failed" {
		t.Fatal(d.EventID())
	}
	if ev := d.Event(); ev.Kind != event.KindDeploymentFailed || ev.Numbers != nil || ev.Validate() != nil {
		t.Fatalf("%+v", ev)
	}
}
