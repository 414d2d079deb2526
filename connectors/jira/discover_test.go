package jira

import (
	"reflect"
	"testing"
)

// Discover lists the projects and the people (apps left out); bad
// credentials are an error.
func TestDiscover(t *testing.T) {
	h := newHarness(t, newFakeJira(), nil)
	d, err := Discover(t.Context(), h.cfg, WithBaseTransport(h.srv.Client().Transport))
	if err != nil {
		t.Fatal(err)
	}
	want := Discovery{Projects: []string{"AUTH"}, People: []Person{{Account: "5b10ac8d82e05b22cc7d4ef5", Name: "Ana Lima", Email: "ana@acme.test"}}}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got %+v, want %+v", d, want)
	}
	h.cfg.Token = "wrong"
	if _, err := Discover(t.Context(), h.cfg, WithBaseTransport(h.srv.Client().Transport)); err == nil {
		t.Error("wrong token: no error")
	}
}
