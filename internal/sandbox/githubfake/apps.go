package githubfake

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v60/github"
)

type appConfig struct {
	id  int64
	key *rsa.PublicKey
}

// appJWT authenticates the App's own endpoints (/app/hook/...) with an App
// JWT, answering 401 as GitHub does for anything else (an installation
// token included). It reports whether the request may go on; requests
// outside /app/ always may (they were authenticated before routing).
func (f *Fake) appJWT(w http.ResponseWriter, r *http.Request) bool {
	if scopeOf(r) != "app" {
		return true
	}
	raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	app, now := f.app, f.now()
	f.mu.Unlock()
	if app == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return false
	}
	if msg := checkAppJWT(raw, app, now); msg != "" {
		writeError(w, http.StatusUnauthorized, msg)
		return false
	}
	return true
}

// accessToken serves POST /app/installations/{id}/access_tokens: given a
// valid app JWT (RS256, iss = the app id, exp at most 10 minutes ahead) it
// mints an installation token valid for one hour.
func (f *Fake) accessToken(w http.ResponseWriter, r *http.Request) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
		return
	}
	f.mu.Lock()
	app, now := f.app, f.now()
	f.mu.Unlock()
	if app == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	if msg := checkAppJWT(raw, app, now); msg != "" {
		writeError(w, http.StatusUnauthorized, msg)
		return
	}
	buf := make([]byte, 16)
	_, _ = rand.Read(buf)
	tok := "ghs_" + hex.EncodeToString(buf)
	exp := now.Add(time.Hour).Truncate(time.Second)
	f.mu.Lock()
	f.issued[tok] = exp
	f.mu.Unlock()
	f.respond(w, r, http.StatusCreated, &github.InstallationToken{Token: github.String(tok), ExpiresAt: ts(exp)})
}

// checkAppJWT returns GitHub's error message for a bad app JWT, or "".
func checkAppJWT(raw string, app *appConfig, now time.Time) string {
	claims := jwt.MapClaims{}
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	if _, err := p.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return app.key, nil }); err != nil {
		return "A JSON web token could not be decoded"
	}
	var iss string
	switch v := claims["iss"].(type) {
	case string:
		iss = v
	case float64:
		iss = strconv.FormatInt(int64(v), 10)
	}
	if iss != strconv.FormatInt(app.id, 10) {
		return "Integration not found"
	}
	exp, _ := claims["exp"].(float64)
	iat, _ := claims["iat"].(float64)
	switch e := time.Unix(int64(exp), 0); {
	case !now.Before(e):
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	case e.Sub(time.Unix(int64(iat), 0)) > 10*time.Minute+time.Second:
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	return ""
}
