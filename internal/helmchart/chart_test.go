package helmchart

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	"sigs.k8s.io/yaml"

	"github.com/goalpost/goalpost/internal/config"
)

// chartDir is deploy/helm/goalpost from the module root (this package is
// internal/helmchart).
var chartDir = filepath.Join("..", "..", "deploy", "helm", "goalpost")

// TestChartLints is `helm lint --strict` on the chart, with its defaults
// and with the values a single-replica install would set.
func TestChartLints(t *testing.T) {
	for _, tc := range []struct {
		name string
		vals map[string]any
	}{
		{"defaults", nil},
		{"one replica without a PDB", map[string]any{"replicaCount": 1, "podDisruptionBudget": map[string]any{"enabled": false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lint := action.NewLint()
			lint.Strict = true
			res := lint.Run([]string{chartDir}, tc.vals)
			for _, m := range res.Messages {
				t.Logf("lint: %s", m)
			}
			if len(res.Errors) > 0 || res.TotalChartsLinted != 1 {
				t.Fatalf("helm lint: %d charts linted, errors %v", res.TotalChartsLinted, res.Errors)
			}
		})
	}
}

// object is the part of a rendered manifest the checks read.
type object struct {
	Kind     string         `json:"kind"`
	Metadata map[string]any `json:"metadata"`
	Spec     map[string]any `json:"spec"`
	Data     map[string]string
}

// render is `helm template` with vals.
func render(t *testing.T, vals map[string]any) map[string]object {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	inst := action.NewInstall(action.NewConfiguration())
	inst.DryRunStrategy = action.DryRunClient
	inst.ReleaseName, inst.Namespace, inst.Replace = "gp", "goalpost", true
	r, err := inst.Run(ch, vals)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	rel, ok := r.(*release.Release)
	if !ok {
		t.Fatalf("helm template returned %T", r)
	}
	objs := map[string]object{}
	for _, doc := range strings.Split(rel.Manifest, "\n---") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("rendered manifest: %v\n%s", err, doc)
		}
		objs[o.Kind] = o
	}
	return objs
}

// TestChartRenders checks what `helm template` renders: N replicas behind a
// Service, a PodDisruptionBudget, probes on /healthz and /readyz, secrets
// only by reference, and a goalpost.toml that goalpost itself accepts.
func TestChartRenders(t *testing.T) {
	objs := render(t, nil)
	for _, kind := range []string{"Deployment", "Service", "ConfigMap", "PodDisruptionBudget"} {
		if _, ok := objs[kind]; !ok {
			t.Errorf("no %s rendered (have %v)", kind, keys(objs))
		}
	}
	if _, ok := objs["Secret"]; ok {
		t.Error("the chart renders a Secret: secrets are referenced, never templated")
	}
	dep := objs["Deployment"]
	if n := dep.Spec["replicas"]; n != float64(3) {
		t.Errorf("replicas = %v, want 3", n)
	}
	c := container(t, dep)
	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if got := dig(c, probe, "httpGet", "path"); got != path {
			t.Errorf("%s path = %v, want %s", probe, got, path)
		}
	}
	if got := dig(c, "readinessProbe", "failureThreshold"); got != float64(1) {
		t.Errorf("readinessProbe failureThreshold = %v, want 1: one 503 \"draining\" takes the pod out", got)
	}
	if got := dig(c, "envFrom"); got == nil {
		t.Error("no envFrom: the existing Secret's keys are not in the environment")
	}
	pdb := objs["PodDisruptionBudget"]
	if got := pdb.Spec["maxUnavailable"]; got != float64(1) {
		t.Errorf("PDB maxUnavailable = %v, want 1", got)
	}
	cm := objs["ConfigMap"].Data["goalpost.toml"]
	if !strings.Contains(cm, `driver = "postgres"`) {
		t.Errorf("the default config does not use PostgreSQL:\n%s", cm)
	}
	checkConfig(t, cm)
}

// checkConfig parses the rendered goalpost.toml as goalpost run would
// (secrets' ${VAR}s set), and checks it names the NATS cluster.
func checkConfig(t *testing.T, text string) {
	t.Helper()
	env := func(string) (string, bool) { return "x", true }
	path := filepath.Join(t.TempDir(), "goalpost.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(path, []byte(text), env)
	if err != nil {
		t.Fatalf("goalpost rejects the chart's config: %v\n%s", err, text)
	}
	if cfg.NATS.Replicas != 3 || strings.Count(cfg.NATS.URL, "nats://") != 3 {
		t.Errorf("nats: url %q replicas %d, want a cluster of 3", cfg.NATS.URL, cfg.NATS.Replicas)
	}
	if cfg.Server.DrainDelay.Duration <= 0 {
		t.Errorf("server.drain_delay = %s: a replica would close its listener as /readyz turns not ready", cfg.Server.DrainDelay.Duration)
	}
	if cfg.Store.Driver != config.DriverPostgres || cfg.Store.DSN.Reveal() != "x" {
		t.Errorf("store: driver %q, want postgres with the DSN from the environment", cfg.Store.Driver)
	}
	if cfg.Server.ReplicaID != "" {
		t.Errorf("replica_id %q: each pod must default to its own name", cfg.Server.ReplicaID)
	}
}

func container(t *testing.T, dep object) map[string]any {
	t.Helper()
	cs, _ := dig(dep.Spec, "template", "spec", "containers").([]any)
	if len(cs) != 1 {
		t.Fatalf("want one container, got %d", len(cs))
	}
	return cs[0].(map[string]any)
}

// dig follows keys through nested maps; nil when one is missing.
func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

func keys(m map[string]object) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
