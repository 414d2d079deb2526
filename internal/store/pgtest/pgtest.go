// Package pgtest gives tests a real PostgreSQL server: $GOALPOST_TEST_PG_DSN
// when set, else one server per test binary that this package starts
// (initdb into a temporary directory as a non-root user; see server.go)
// and Main stops. Each name gets a schema of its own. When no server can be
// had, a test skips — or fails when $CI is "true" (ADR 22).
//
// It does not import the store, so that the store's own tests can use it.
package pgtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"
)

// EnvBackend names the backend the store-using tests run on: "sqlite"
// (default) or "postgres" (.ci/run runs those packages once more so).
const EnvBackend = "GOALPOST_TEST_STORE"

// Backend is the backend the store-using tests run on in this run.
func Backend() string {
	if os.Getenv(EnvBackend) == "postgres" {
		return "postgres"
	}
	return "sqlite"
}

// shared is the test binary's PostgreSQL server, started on first use.
var shared struct {
	once sync.Once
	srv  *server
	dsn  string
	err  error

	mu     sync.Mutex
	byName map[string]string // Migrated's schemas in use, by name
	free   []string          // Migrated's schemas to reuse
	made   int
}

// Main runs the package's tests, then Stop. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop drops the schemas Migrated made and stops the PostgreSQL server the
// tests started, if any: for a TestMain that has more to stop than Main.
func Stop() {
	if shared.srv == nil {
		for _, schema := range shared.free {
			dropSchema(shared.dsn, schema)
		}
	}
	if shared.srv != nil {
		shared.srv.stop()
	}
}

// Migrated returns a connection string to a schema of its own for name
// (the same schema for the same name while t runs) holding the store's
// tables, empty. Schemas are migrated once (by migrate) and reused: when t
// ends its schema's tables are truncated and it goes back to a pool, since
// truncating is much cheaper than running every migration per test.
func Migrated(t testing.TB, name string, migrate func(ctx context.Context, dsn string) error) string {
	t.Helper()
	base := serverDSN(t)
	shared.mu.Lock()
	schema, ok := shared.byName[name]
	if !ok && len(shared.free) > 0 {
		schema, shared.free = shared.free[len(shared.free)-1], shared.free[:len(shared.free)-1]
	}
	if !ok && schema == "" {
		shared.made++
		schema = fmt.Sprintf("p%d_%d", os.Getpid(), shared.made)
	}
	shared.mu.Unlock()
	dsn := withSearchPath(base, schema)
	if ok {
		return dsn
	}

	if err := execSQL(base, `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil {
		t.Fatal(err)
	}
	if err := migrate(t.Context(), dsn); err != nil {
		t.Fatalf("migrate test schema: %v", err)
	}
	shared.mu.Lock()
	if shared.byName == nil {
		shared.byName = map[string]string{}
	}
	shared.byName[name] = schema
	shared.mu.Unlock()
	t.Cleanup(func() {
		err := truncateAll(base, schema)
		shared.mu.Lock()
		defer shared.mu.Unlock()
		delete(shared.byName, name)
		if err == nil {
			shared.free = append(shared.free, schema)
		}
	})
	return dsn
}

// truncateAll empties every table of schema but goose's version table.
func truncateAll(base, schema string) error {
	var tables sql.NullString
	err := query(base, &tables, `SELECT string_agg(quote_ident(schemaname) || '.' || quote_ident(tablename), ', ')
		FROM pg_tables WHERE schemaname = $1 AND tablename != 'goose_db_version'`, schema)
	if err != nil || !tables.Valid {
		return err
	}
	return execSQL(base, `TRUNCATE `+tables.String+` RESTART IDENTITY`)
}

func dbName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "t_" + hex.EncodeToString(sum[:8])
}

// execSQL runs one statement on its own connection (CREATE DATABASE cannot
// run in a transaction, and must not share the template's connections).
func execSQL(dsn, stmt string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // also runs at cleanup, after t's context ended
	defer cancel()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

func query(dsn string, dest any, q string, args ...any) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return db.QueryRowContext(ctx, q, args...).Scan(dest)
}

// DSN returns a connection string to the schema named after name on the
// test server, creating the schema on first use.
func DSN(t testing.TB, name string) string {
	t.Helper()
	base := serverDSN(t)
	schema := dbName(name)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.ExecContext(t.Context(), `SELECT 1 FROM pg_namespace WHERE nspname = $1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := db.ExecContext(t.Context(), `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { dropSchema(base, schema) })
	}
	return withSearchPath(base, schema)
}

func dropSchema(base, schema string) { _ = execSQL(base, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`) }

// serverDSN is the server's connection string: $GOALPOST_TEST_PG_DSN or
// the server this binary started. Without one the test skips (fails in CI).
func serverDSN(t testing.TB) string {
	t.Helper()
	if dsn := os.Getenv("GOALPOST_TEST_PG_DSN"); dsn != "" {
		shared.dsn = dsn
		return dsn
	}
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // the server outlives the first test
		defer cancel()
		shared.srv, shared.err = startServer(ctx)
		if shared.err == nil {
			shared.dsn = shared.srv.dsn
		}
	})
	if shared.err != nil {
		msg := fmt.Sprintf("no PostgreSQL server: %v", shared.err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return shared.dsn
}

// withSearchPath adds search_path=schema to a URL or key=value DSN.
func withSearchPath(dsn, schema string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(dsn) + " search_path=" + schema
}
