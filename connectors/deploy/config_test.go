package deploy

import "testing"

func TestIsProduction(t *testing.T) {
	tests := []struct {
		name  string
		globs []string
		env   string
		want  bool
	}{
		{"default", nil, "production", true},
		{"default, other case", nil, "Production", true},
		{"default rejects staging", nil, "staging", false},
		{"glob", []string{"prod-*"}, "prod-eu", true},
		{"glob, other case", []string{"prod-*"}, "PROD-us", true},
		{"no match", []string{"prod-*"}, "production", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Config{ProductionEnvironments: tt.globs}
			if got := c.isProduction(tt.env); got != tt.want {
				t.Fatalf("isProduction(%q) = %v, want %v", tt.env, got, tt.want)
			}
		})
	}
}
