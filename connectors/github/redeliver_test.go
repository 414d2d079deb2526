package github

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"

	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/internal/secret"
)

// A token that reads the repository but lacks webhook permission: the
// deliveries check fails with GitHub's 403, the poll still succeeds (the
// source is not failing, key results do not go stale) and the trouble is
// counted as a warning.
func TestRedeliveryWithoutHookPermissionIsAWarning(t *testing.T) {
	e := newEnv(t, nil, githubfake.WithoutHookAccess(testToken))
	hook, err := e.fake.AddHook(testRepo)
	must(t, err)
	e.cfg.Repos[0].HookID = hook
	e.cfg.Orgs = []OrgConfig{{Name: "acme", Include: []string{"nothing-*"}, HookID: e.fake.AddOrgHook("acme")}}
	var warnings []string
	e.src = e.newSource(WithWarnings(func(kind string) { warnings = append(warnings, kind) }))
	e.merge("one", "alice")
	e.poll() // fails the test on a poll error
	if e.src.LastError() != nil {
		t.Fatalf("source failing: %v", e.src.LastError())
	}
	if !slices.Equal(warnings, []string{"redelivery", "redelivery"}) {
		t.Errorf("warnings %v, want one per hook", warnings)
	}
	if len(e.pub.all()) == 0 {
		t.Error("the poll published nothing")
	}
}

// The GitHub App's own webhook: deliveries are listed and redelivered at
// /app/hook/deliveries with the App's JWT, not the installation token.
func TestAppHookRedelivery(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	e := newEnv(t, func(c *Config) {
		c.Token = ""
		c.App = AppConfig{ID: 42, InstallationID: 7, PrivateKey: secret.String(pemKey), HookDeliveries: true}
	}, githubfake.WithApp(42, &key.PublicKey))
	_, err = e.fake.AddHookDelivery("app", 0, githubfake.HookDelivery{GUID: "a1", Event: "pull_request", StatusCode: 502})
	must(t, err)
	_, err = e.fake.AddHookDelivery("app", 0, githubfake.HookDelivery{GUID: "a2", Event: "pull_request", StatusCode: 200})
	must(t, err)
	e.poll()
	if r := e.fake.Redeliveries(); len(r) != 1 || r[0].Scope != "app" || r[0].GUID != "a1" {
		t.Fatalf("redeliveries %+v, want a1 of the app hook", r)
	}
}

// hook_deliveries reads the App's webhook as the App: with a token it is a
// config error, not a silent no-op.
func TestAppHookDeliveriesNeedTheApp(t *testing.T) {
	cfg := &Config{Token: "t", Repos: []RepoConfig{{Name: testRepo}}, App: AppConfig{HookDeliveries: true}}
	if err := cfg.Validate(); err == nil {
		t.Fatal("token + app.hook_deliveries validated")
	}
}

// doctor names each misconfiguration with its fix: a token without hook
// permission, a repository it cannot see.
func TestDoctor(t *testing.T) {
	tests := []struct {
		name   string
		opts   []githubfake.Option
		mod    func(*Config)
		failed []string
	}{
		{"all good", nil, nil, nil},
		{"token without hook permission", []githubfake.Option{githubfake.WithoutHookAccess(testToken)}, nil,
			[]string{"github acme/api: hook 1002 deliveries readable"}},
		{"unknown repository", nil, func(c *Config) { c.Repos = append(c.Repos, RepoConfig{Name: "acme/nope"}) },
			[]string{"github acme/nope: repository readable", "github acme/nope: pull requests readable", "github acme/nope: deployments readable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.mod, tt.opts...)
			hook, err := e.fake.AddHook(testRepo)
			must(t, err)
			e.cfg.Repos[0].HookID = hook
			var failed []string
			for _, ck := range Doctor(t.Context(), e.cfg, e.srv.Client()) {
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
