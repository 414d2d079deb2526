package server

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"

	"github.com/goalpost/goalpost/internal/metrics"
	"github.com/goalpost/goalpost/internal/secret"
)

// Auth is the admin listener's optional credentials. A zero Auth lets every
// request in (the default admin listener is 127.0.0.1 only).
type Auth struct {
	// Token, when set, is the bearer token the API and /metrics require.
	Token secret.String
	// User and Password, when set, are the basic-auth credentials pages
	// require.
	User     string
	Password secret.String
	// TrustedHeader, when set, names the identity header a reverse proxy
	// sets (oauth2-proxy: X-Forwarded-User): a page request carrying it is
	// let in. Pages need the header or the basic credentials when either is
	// configured.
	TrustedHeader string
}

// Admin is the admin listener: a Server whose routes are added as pages or
// machine routes, each behind its kind of credentials.
type Admin struct {
	*Server
	auth Auth
}

// NewAdmin builds the admin listener with /metrics (machine route).
func NewAdmin(opt Options, auth Auth, m *metrics.Metrics, log *slog.Logger) *Admin {
	a := &Admin{Server: newServer(opt, http.NewServeMux(), log), auth: auth}
	if m != nil {
		a.Machine("GET /metrics", m.Handler())
	}
	return a
}

// Page adds a route for people (the dashboard's pages and their live
// updates), behind basic auth or the trusted header when configured. Call
// it before Run.
func (a *Admin) Page(pattern string, h http.Handler) {
	a.mux.Handle(pattern, a.pageAuth(h))
}

// Machine adds a route for programs (the JSON API, /metrics), behind the
// bearer token when configured. Call it before Run.
func (a *Admin) Machine(pattern string, h http.Handler) {
	a.mux.Handle(pattern, a.tokenAuth(h))
}

func (a *Admin) tokenAuth(h http.Handler) http.Handler {
	if !a.auth.Token.IsSet() {
		return h
	}
	want := []byte("Bearer " + a.auth.Token.Reveal())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="goalpost"`)
			http.Error(w, "unauthorized: send Authorization: Bearer <server.admin_token>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (a *Admin) pageAuth(h http.Handler) http.Handler {
	basic := a.auth.User != "" && a.auth.Password.IsSet()
	if !basic && a.auth.TrustedHeader == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.auth.TrustedHeader != "" && strings.TrimSpace(r.Header.Get(a.auth.TrustedHeader)) != "" {
			h.ServeHTTP(w, r)
			return
		}
		if basic {
			user, pass, ok := r.BasicAuth()
			userOK := subtle.ConstantTimeCompare([]byte(user), []byte(a.auth.User)) == 1
			passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(a.auth.Password.Reveal())) == 1
			if ok && userOK && passOK {
				h.ServeHTTP(w, r)
				return
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="goalpost", charset="UTF-8"`)
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
}
