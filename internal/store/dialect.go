package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
)

// dialect is what differs between the two backends (ADR 22). Every query
// is written once, with ? placeholders (rebound to $n for PostgreSQL by
// database and txx) and portable SQL; the few fragments that cannot be
// portable come from here.
type dialect struct {
	name       string        // "sqlite" or "postgres"
	goose      goose.Dialect // for the migrations
	migrations string        // the embedded directory of this dialect's migrations
}

var (
	sqliteDialect   = dialect{name: "sqlite", goose: goose.DialectSQLite3, migrations: "migrations"}
	postgresDialect = dialect{name: "postgres", goose: goose.DialectPostgres, migrations: "migrations/postgres"}
)

// indexedBy names the index SQLite must use (its planner picks a worse one
// by itself); PostgreSQL plans alone.
func (d dialect) indexedBy(index string) string {
	if d == postgresDialect {
		return ""
	}
	return ` INDEXED BY ` + index
}

// skipLocked ends a SELECT whose rows are claimed: on PostgreSQL each row
// goes to one of the replicas claiming at the same time (a row another
// transaction holds is skipped, not waited for); SQLite has one writer.
func (d dialect) skipLocked() string {
	if d == postgresDialect {
		return ` FOR UPDATE SKIP LOCKED`
	}
	return ""
}

// insertNew begins an INSERT of several rows that ends ON CONFLICT DO
// NOTHING. On SQLite it is INSERT OR IGNORE: a statement that writes
// several rows and may abort halfway (a NOT NULL or key violation under the
// default ABORT) copies every page it changes to a statement journal first,
// so that it can be undone alone; one that cannot abort copies none (ADR
// 64). The rows it writes are never NULL where a column forbids it, so
// ignoring changes nothing else. PostgreSQL has no such journal.
func (d dialect) insertNew() string {
	if d == postgresDialect {
		return `INSERT INTO`
	}
	return `INSERT OR IGNORE INTO`
}

// Dialect names the store's backend: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.db.dialect.name }

// OpenPostgres connects to the PostgreSQL database at dsn (a URL or
// key=value connection string for pgx) and applies the embedded migrations,
// under an advisory lock so that replicas starting together migrate once.
// Errors never contain the DSN (it may hold a password).
func OpenPostgres(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	db, err := sqlx.Open("pgx", dsn)
	if err != nil {
		return nil, errors.New("open store: invalid postgres dsn")
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store: connect to postgres: %w", redactDSN(err))
	}
	return open(ctx, database{DB: db, dialect: postgresDialect}, log)
}

// redactDSN keeps pgx's connection errors from echoing the connection
// string: pgconn.ParseConfigError carries it.
func redactDSN(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid postgres dsn")
	}
	return err
}

// migrationLock holds a session advisory lock while goose migrates, keyed
// by the schema: replicas starting together wait for the first one, then
// find nothing left to apply. pg_advisory_lock blocks (no polling); the
// context bounds the wait.
type migrationLock struct{}

const lockKey = `hashtextextended('goalpost migrations ' || current_schema(), 0)`

func (migrationLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	return nil
}

func (migrationLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("migration unlock: %w", err)
	}
	return nil
}

// database is the store's connection pool; its queries are written with ?
// placeholders and rebound for the dialect.
type database struct {
	*sqlx.DB
	dialect dialect
}

func (d database) rebind(q string) string {
	if d.dialect == sqliteDialect {
		return q
	}
	return d.DB.Rebind(q)
}

func (d database) GetContext(ctx context.Context, dest any, q string, args ...any) error {
	return d.DB.GetContext(ctx, dest, d.rebind(q), args...)
}

func (d database) SelectContext(ctx context.Context, dest any, q string, args ...any) error {
	return d.DB.SelectContext(ctx, dest, d.rebind(q), args...)
}

func (d database) QueryxContext(ctx context.Context, q string, args ...any) (*sqlx.Rows, error) {
	return d.DB.QueryxContext(ctx, d.rebind(q), args...)
}

func (d database) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return d.DB.ExecContext(ctx, d.rebind(q), args...)
}

func (d database) PreparexContext(ctx context.Context, q string) (*sqlx.Stmt, error) {
	return d.DB.PreparexContext(ctx, d.rebind(q))
}

// txx is a transaction of database, rebinding as database does.
type txx struct {
	*sqlx.Tx
	db database
}

func (t txx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, t.db.rebind(q), args...)
}

func (t txx) GetContext(ctx context.Context, dest any, q string, args ...any) error {
	return t.Tx.GetContext(ctx, dest, t.db.rebind(q), args...)
}

func (t txx) SelectContext(ctx context.Context, dest any, q string, args ...any) error {
	return t.Tx.SelectContext(ctx, dest, t.db.rebind(q), args...)
}

// retryable reports whether a PostgreSQL transaction failed only because
// it raced another one (serialization failure, deadlock): running it again
// may succeed.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}
