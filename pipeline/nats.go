// Package pipeline is the event stream between connectors and the engine: a
// NATS JetStream stream (embedded server by default, an external deployment
// when nats.url is set) with a Publisher that returns only once the stream
// has stored an event, and a durable Consumer that hands batches to a Handler
// and acknowledges only after the Handler committed them.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Conn is a connection to NATS, owning the embedded server when there is one.
type Conn struct {
	NC       *nats.Conn
	embedded *server.Server
}

// Connect connects to the NATS deployment in cfg, or starts an embedded
// JetStream server storing its files under dataDir/nats when cfg.URL is empty.
func Connect(cfg Config, dataDir string, log *slog.Logger) (*Conn, error) {
	if cfg.URL != "" {
		nc, err := nats.Connect(cfg.URL, clientOptions(cfg, log)...)
		if err != nil {
			return nil, fmt.Errorf("connect nats: %w", err)
		}
		return &Conn{NC: nc}, nil
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: "goalpost",
		JetStream:  true,
		StoreDir:   filepath.Join(dataDir, "nats"),
		DontListen: true, // in-process only: nothing to expose, no port to pick
		NoSigs:     true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded nats: not ready after 30s")
	}
	nc, err := nats.Connect("", append(clientOptions(cfg, log), nats.InProcessServer(ns))...)
	if err != nil {
		ns.Shutdown()
		return nil, fmt.Errorf("connect embedded nats: %w", err)
	}
	return &Conn{NC: nc, embedded: ns}, nil
}

func clientOptions(cfg Config, log *slog.Logger) []nats.Option {
	opts := []nats.Option{
		nats.Name("goalpost"),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
	}
	if cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	}
	if cfg.User != "" {
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password.Reveal()))
	}
	if cfg.Token.IsSet() {
		opts = append(opts, nats.Token(cfg.Token.Reveal()))
	}
	if cfg.TLSCA != "" {
		opts = append(opts, nats.RootCAs(cfg.TLSCA))
	}
	if cfg.TLSCert != "" {
		opts = append(opts, nats.ClientCert(cfg.TLSCert, cfg.TLSKey))
	}
	return opts
}

// Ready reports whether the connection is up (for /readyz).
func (c *Conn) Ready(context.Context) error {
	if !c.NC.IsConnected() {
		return fmt.Errorf("nats: %s", c.NC.Status())
	}
	return nil
}

// Close flushes what the client has buffered (acks, publishes; waiting at
// most a second for the server to confirm), closes the connection and stops
// the embedded server, if any, returning as soon as each step is done.
// It does not Drain the connection: by the time Close is called every
// subscription's owner has returned, so no subscription has work left, and
// nats.go's drain polls every 10 ms per subscription (20 ms of a 30 ms
// `sync --once` close). JetStream is stopped before the server, because a
// server that still holds a pull request (a Consume leaves one until it
// expires) would otherwise sleep 50 ms to tell the clients, which are gone.
func (c *Conn) Close() {
	_ = c.NC.FlushTimeout(time.Second)
	c.NC.Close()
	if c.embedded != nil {
		_ = c.embedded.ShutdownJetStream()
		c.embedded.Shutdown()
		c.embedded.WaitForShutdown()
	}
}
