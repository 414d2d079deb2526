package github

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/sandbox/githubfake"
	"github.com/goalpost/goalpost/internal/secret"
)

func TestGitHubAppInstallationTokens(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	file := filepath.Join(t.TempDir(), "app.pem")
	must(t, os.WriteFile(file, pemKey, 0o600))
	for _, viaFile := range []bool{false, true} {
		name := "inline key"
		if viaFile {
			name = "key file"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) {
				c.Token = ""
				c.App = AppConfig{ID: 42, InstallationID: 7}
				if viaFile {
					c.App.PrivateKeyFile = file
				} else {
					c.App.PrivateKey = secret.String(pemKey)
				}
			}, githubfake.WithApp(42, &key.PublicKey))
			mints := func() int { n, _ := e.requests("/app/installations/7/access_tokens"); return n }
			e.merge("one", "alice")
			e.poll()
			e.poll()
			if mints() != 1 {
				t.Fatalf("%d installation tokens minted for two polls, want 1", mints())
			}
			e.clk.add(56 * time.Minute)
			e.poll()
			if mints() != 2 {
				t.Fatalf("token not renewed before expiry (%d mints)", mints())
			}
		})
	}
}

func TestGitHubAppBadKey(t *testing.T) {
	cfg := &Config{App: AppConfig{ID: 1, InstallationID: 2, PrivateKey: "not a key"}}
	_, err := NewClient(cfg, nil)
	if err == nil || strings.Contains(err.Error(), "not a key") {
		t.Fatalf("error %v", err)
	}
}
