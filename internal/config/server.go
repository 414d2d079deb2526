package config

import (
	"net"
	"strconv"

	"github.com/goalpost/goalpost/internal/confval"
	"github.com/goalpost/goalpost/internal/secret"
)

// ServerConfig is the [server] section: two listeners. The public one
// (listen) serves webhooks, /healthz and /readyz and nothing else; the
// admin one (admin_listen) serves the dashboard, the JSON API under
// /api/v1/ and /metrics, behind the optional credentials below.
type ServerConfig struct {
	Listen          string           `toml:"listen"`           // default 127.0.0.1:8080
	AdminListen     string           `toml:"admin_listen"`     // default 127.0.0.1:<listen's port + 1> (port 0 stays 0)
	MaxBodyBytes    int64            `toml:"max_body_bytes"`   // default 25 MiB (GitHub's cap)
	ReadTimeout     confval.Duration `toml:"read_timeout"`     // default 10s
	WriteTimeout    confval.Duration `toml:"write_timeout"`    // default 10s
	ShutdownTimeout confval.Duration `toml:"shutdown_timeout"` // default 10s
	// DrainDelay is how long the public listener keeps taking webhooks
	// after SIGTERM while /readyz answers 503 "draining", so that a load
	// balancer polling /readyz stops sending before the listener closes
	// (default 0: a single process stops at once; the Helm chart sets it).
	DrainDelay confval.Duration `toml:"drain_delay"`

	// AdminToken, when set, is the bearer token the API and /metrics require.
	AdminToken secret.String `toml:"admin_token"`
	// AdminUser and AdminPassword, when set, are the basic-auth credentials
	// the dashboard's pages require.
	AdminUser     string        `toml:"admin_user"`
	AdminPassword secret.String `toml:"admin_password"`
	// TrustedHeader, when set, names the header a reverse proxy in front of
	// the admin listener sets to the signed-in user (oauth2-proxy:
	// X-Forwarded-User); pages require it. Only safe when nothing but the
	// proxy can reach admin_listen.
	TrustedHeader string `toml:"trusted_header"`

	// ReplicaID names this replica of goalpost in every log line, metric
	// and lease (default: the host name). Replicas must have distinct ids.
	ReplicaID string `toml:"replica_id"`
}

// DashboardConfig is the [dashboard] section.
type DashboardConfig struct {
	// People is "named" (default: per-person baseline rows) or "team-only"
	// (team figures only, on the dashboard and in the weekly report).
	People string `toml:"people"`
}

// Values of [dashboard] people.
const (
	PeopleNamed    = "named"
	PeopleTeamOnly = "team-only"
)

// TeamOnly reports whether per-person rows are hidden.
func (d DashboardConfig) TeamOnly() bool { return d.People == PeopleTeamOnly }

func (d DashboardConfig) validate() []error {
	if d.People != PeopleNamed && d.People != PeopleTeamOnly {
		return []error{confval.Fieldf("dashboard.people", "want %q or %q, got %q", PeopleNamed, PeopleTeamOnly, d.People)}
	}
	return nil
}

// defaultAdminListen is 127.0.0.1 on the port after listen's (port 0, any
// free port, stays 0).
func defaultAdminListen(listen string) string {
	_, port, err := net.SplitHostPort(listen)
	p, perr := strconv.Atoi(port)
	if err != nil || perr != nil || p == 0 || p >= 65535 {
		return "127.0.0.1:0"
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p+1))
}

func (s ServerConfig) validateAdmin() []error {
	var errs []error
	if _, _, err := net.SplitHostPort(s.AdminListen); err != nil {
		errs = append(errs, confval.Fieldf("server.admin_listen", "want host:port, got %q", s.AdminListen))
	} else if s.AdminListen == s.Listen && !isAnyPort(s.Listen) {
		errs = append(errs, confval.Fieldf("server.admin_listen", "must differ from server.listen: the dashboard, API and metrics are never served on the webhook listener"))
	}
	if (s.AdminUser == "") != !s.AdminPassword.IsSet() {
		errs = append(errs, confval.Fieldf("server.admin_user", "set admin_user and admin_password together"))
	}
	return errs
}

func isAnyPort(addr string) bool {
	_, port, _ := net.SplitHostPort(addr)
	return port == "0"
}
