package github

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v4"
	gh "github.com/google/go-github/v60/github"
)

// tokenSource yields the token to send; implementations are safe for
// concurrent use.
type tokenSource interface {
	Token(ctx context.Context) (string, error)
}

type staticToken string

func (t staticToken) Token(context.Context) (string, error) { return string(t), nil }

// authTransport sets "Authorization: Bearer <token>" on every request.
type authTransport struct {
	next http.RoundTripper
	src  tokenSource
}

func (a authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := a.src.Token(req.Context())
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return a.next.RoundTrip(r)
}

// appTokens mints and caches GitHub App installation tokens: a JWT signed
// with the app's key (valid 9 minutes, issued a minute in the past against
// clock drift) buys a one-hour installation token, renewed five minutes
// before it expires. Minting is serialized; callers wait for it.
type appTokens struct {
	appID, installationID int64
	key                   *rsa.PrivateKey
	api                   *gh.Client // unauthenticated; the JWT is added per call
	now                   func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

func newAppTokens(cfg AppConfig, api *gh.Client, now func() time.Time) (*appTokens, error) {
	pem := []byte(cfg.PrivateKey.Reveal())
	if cfg.PrivateKeyFile != "" {
		b, err := os.ReadFile(cfg.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("github app private key: %w", err)
		}
		pem = b
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM(pem)
	if err != nil {
		return nil, fmt.Errorf("github app private key: %w", err)
	}
	return &appTokens{appID: cfg.ID, installationID: cfg.InstallationID, key: key, api: api, now: now}, nil
}

// Token returns a valid installation token, minting one when needed.
func (a *appTokens) Token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if a.token != "" && now.Before(a.expires.Add(-5*time.Minute)) {
		return a.token, nil
	}
	api, err := a.appAPI()
	if err != nil {
		return "", err
	}
	it, _, err := api.Apps.CreateInstallationToken(ctx, a.installationID, nil)
	if err != nil {
		return "", fmt.Errorf("github app installation token: %w", err)
	}
	if it.GetToken() == "" {
		return "", errors.New("github app installation token: empty answer")
	}
	a.token, a.expires = it.GetToken(), it.GetExpiresAt().Time
	return a.token, nil
}

// appAPI is a client authenticated as the App itself (a fresh JWT), for
// the App's own endpoints: installation tokens and its webhook's
// deliveries.
func (a *appTokens) appAPI() (*gh.Client, error) {
	now := a.now()
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.RegisteredClaims{
		Issuer:    strconv.FormatInt(a.appID, 10),
		IssuedAt:  jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(9 * time.Minute)),
	}).SignedString(a.key)
	if err != nil {
		return nil, fmt.Errorf("sign github app jwt: %w", err)
	}
	return a.api.WithAuthToken(signed), nil
}
