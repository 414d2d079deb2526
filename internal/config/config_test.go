package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/pipeline"
	"github.com/goalpost/goalpost/writeback"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseErrorsNameFileLineAndKey(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		env      map[string]string
		wantLine int
		wantKey  string
		wantMsg  string
	}{
		{
			name:     "unknown top-level key",
			src:      "data_dir = \"./d\"\nbogus = 1\n",
			wantLine: 2, wantKey: "bogus", wantMsg: "unknown key",
		},
		{
			name:     "unknown key in section",
			src:      "[server]\nlisten = \"127.0.0.1:9\"\nlistne = \"x\"\n",
			wantLine: 3, wantKey: "server.listne", wantMsg: "unknown key",
		},
		{
			name:     "wrong type",
			src:      "[server]\nmax_body_bytes = \"big\"\n",
			wantLine: 2, wantKey: "server.max_body_bytes", wantMsg: "want a whole number, got text",
		},
		{
			name:     "bad duration",
			src:      "[server]\n\nread_timeout = \"soon\"\n",
			wantLine: 3, wantKey: "server.read_timeout", wantMsg: "invalid duration",
		},
		{
			name:     "missing secret from environment",
			src:      "[github]\nbase_url = \"http://x\"\ntoken = \"${GH_TOKEN_FOR_TEST}\"\n",
			wantLine: 3, wantKey: "github.token", wantMsg: "GH_TOKEN_FOR_TEST is not set",
		},
		{
			name:     "unknown store driver",
			src:      "[store]\ndriver = \"mysql\"\n",
			wantLine: 2, wantKey: "store.driver", wantMsg: "want sqlite or postgres",
		},
		{
			name:     "postgres without a dsn",
			src:      "[store]\ndriver = \"postgres\"\n",
			wantLine: 1, wantKey: "store.dsn", wantMsg: "required",
		},
		{
			name:     "postgres dsn from a missing variable",
			src:      "[store]\ndriver = \"postgres\"\ndsn = \"${DATABASE_URL_FOR_TEST}\"\n",
			wantLine: 3, wantKey: "store.dsn", wantMsg: "DATABASE_URL_FOR_TEST is not set",
		},
		{
			name:     "invalid value in array table",
			src:      "[github]\ntoken = \"t\"\n[[github.repos]]\nname = \"a/b\"\n[[github.repos]]\nname = \"nope\"\n",
			wantLine: 6, wantKey: "github.repos[1].name", wantMsg: "owner/name",
		},
		{
			name:     "empty webhook secret refuses to start",
			src:      "[github]\ntoken = \"t\"\nwebhook_secret = \"\"\n",
			wantLine: 3, wantKey: "github.webhook_secret", wantMsg: "is empty",
		},
		{
			name:     "credentials in a base_url",
			src:      "[github]\ntoken = \"t\"\nbase_url = \"https://bot:hunter2@ghe.example.com/api/v3/\"\n",
			wantLine: 3, wantKey: "github.base_url", wantMsg: "must not contain credentials",
		},
		{
			name:     "bad listen address",
			src:      "[server]\nlisten = \"nowhere\"\n",
			wantLine: 2, wantKey: "server.listen", wantMsg: "host:port",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("goalpost.toml", []byte(tt.src), env(tt.env))
			if err == nil {
				t.Fatal("want an error")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("want *config.Error, got %T: %v", err, err)
			}
			if ce.File != "goalpost.toml" || ce.Line != tt.wantLine || ce.Key != tt.wantKey {
				t.Errorf("got file=%s line=%d key=%s, want line=%d key=%s (%v)", ce.File, ce.Line, ce.Key, tt.wantLine, tt.wantKey, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("message %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestSecretsExpandAndNeverPrint(t *testing.T) {
	src := "[github]\ntoken = \"${GH}\"\nwebhook_secret = \"literal-hook-secret\"\n[[github.repos]]\nname = \"a/b\"\n"
	cfg, err := Parse("c.toml", []byte(src), env(map[string]string{"GH": "ghp_supersecretvalue"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.GitHub.Token.Reveal(); got != "ghp_supersecretvalue" {
		t.Fatalf("token not expanded: %q", got)
	}
	for _, s := range []string{cfg.Redacted(), fmtAll(cfg)} {
		if strings.Contains(s, "supersecret") || strings.Contains(s, "literal-hook-secret") {
			t.Fatalf("secret printed: %s", s)
		}
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse("c.toml", []byte("data_dir = \"/var/lib/goalpost\"\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Listen != "127.0.0.1:8080" || cfg.Store.Path != filepath.Join("/var/lib/goalpost", "goalpost.db") || cfg.NATS.MaxDeliver != 5 {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
	// Every default is set once, here, so the values read later are the
	// effective ones (and check --print shows them).
	if cfg.Server.ReadTimeout.Duration != DefaultServerTimeout || cfg.Engine.TickInterval.Duration != DefaultTickInterval ||
		cfg.NATS.AckWait.Duration != pipeline.DefaultAckWait || cfg.Writeback.RetryMax.Duration != writeback.DefaultRetryMax {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
}

func TestExampleConfigParses(t *testing.T) {
	path := filepath.Join("..", "..", "config.example.toml")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("config.example.toml missing: %v", err)
	}
	vars := map[string]string{}
	for _, k := range []string{"GITHUB_TOKEN", "GITHUB_WEBHOOK_SECRET", "DEPLOY_WEBHOOK_SECRET", "NOTION_TOKEN",
		"LINEAR_API_KEY", "LINEAR_WEBHOOK_SECRET", "JIRA_API_TOKEN", "JIRA_WEBHOOK_SECRET", "GITHUB_APP_PRIVATE_KEY", "ASANA_TOKEN", "SLACK_BOT_TOKEN", "TRELLO_KEY", "TRELLO_TOKEN", "TRELLO_SECRET",
		"GITLAB_TOKEN", "GITLAB_WEBHOOK_SECRET",
		"PAGERDUTY_TOKEN", "PAGERDUTY_WEBHOOK_SECRET", "INCIDENTIO_TOKEN"} {
		vars[k] = "x-" + strings.ToLower(k)
	}
	vars["INCIDENTIO_WEBHOOK_SECRET"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vars["SLACK_WEBHOOK_URL"] = "https://hooks.slack.com/services/T000/B000/XXXX"
	if _, err := Load(path, env(vars)); err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
}

func TestAdminListener(t *testing.T) {
	tests := []struct {
		name, server string
		want, err    string
	}{
		{"default is the next port on loopback", "listen = \"0.0.0.0:9000\"\n", "127.0.0.1:9001", ""},
		{"any free port stays any free port", "listen = \"127.0.0.1:0\"\n", "127.0.0.1:0", ""},
		{"set explicitly", "admin_listen = \"10.0.0.5:9100\"\n", "10.0.0.5:9100", ""},
		{"same as the webhook listener", "listen = \"127.0.0.1:9000\"\nadmin_listen = \"127.0.0.1:9000\"\n", "", "server.admin_listen"},
		{"user without password", "admin_user = \"ana\"\n", "", "server.admin_user"},
		{"not host:port", "admin_listen = \"9100\"\n", "", "server.admin_listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("c.toml", []byte("[server]\n"+tt.server), env(nil))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one naming %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Server.AdminListen != tt.want {
				t.Fatalf("admin_listen = %q, want %q", cfg.Server.AdminListen, tt.want)
			}
		})
	}
}

// Every problem at once: an unknown key (with the nearest known one), two
// values of the wrong type, in words, and a validation error, each on its line.
func TestParseReportsEveryError(t *testing.T) {
	src := "[server]\nlisen = \"127.0.0.1:1\"\nmax_body_bytes = \"big\"\n[github]\ntoken = \"\"\n[[github.repos]]\nname = true\n"
	_, err := Parse("g.toml", []byte(src), nil)
	if err == nil {
		t.Fatal("want errors")
	}
	got := err.Error()
	for _, want := range []string{
		`g.toml:2: server.lisen: unknown key; did you mean "listen"?`,
		"g.toml:3: server.max_body_bytes: want a whole number, got text",
		"g.toml:7: github.repos[0].name: want text in quotes, got true or false",
		"g.toml:5: github.token:",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "int64") || strings.Contains(got, "confval.") {
		t.Errorf("errors name Go types:\n%s", got)
	}
}
