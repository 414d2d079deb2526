package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goalpost/goalpost/internal/secret"
)

// TestExternalServer runs the same publish → consume path against a NATS
// server reached over TCP with a token, as with nats.url in production.
func TestExternalServer(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(),
		Authorization: "s3cret-token", NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	if _, err := Connect(Config{URL: ns.ClientURL(), Token: secret.String("wrong")}, t.TempDir(), discard()); err == nil {
		t.Fatal("a wrong token must not connect")
	}
	conn, err := Connect(Config{URL: ns.ClientURL(), Token: secret.String("s3cret-token")}, t.TempDir(), discard())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if conn.embedded != nil {
		t.Fatal("nats.url set: no embedded server may start")
	}
	ctx := context.Background()
	js, err := jetstream.New(conn.NC)
	if err != nil {
		t.Fatal(err)
	}
	if err := EnsureStreams(ctx, js, DefaultStreams()); err != nil {
		t.Fatal(err)
	}
	if err := NewPublisher(js, nil).Publish(ctx, ev("x1"), ev("x2"), ev("x1")); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{seen: map[string]int{}}
	if n, err := NewConsumer(js, DefaultStreams(), rec, discard(), nil).Drain(ctx); err != nil || n != 2 {
		t.Fatalf("drained %d, %v; want 2", n, err)
	}
	if err := conn.Ready(ctx); err != nil {
		t.Fatal(err)
	}
}
