// Package store is goalpost's durable state: stored events, poll cursors, the
// connectors' HTTP response cache (conditional requests), key-result state and
// snapshots, and the writeback outbox. All SQL lives here, so that another
// backend (Postgres) can be added behind the same methods.
// The default backend is SQLite (mattn/go-sqlite3 in WAL mode) through sqlx;
// migrations are embedded and applied by Open.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the database/sql driver "sqlite3"
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Store is goalpost's store on SQLite or PostgreSQL. It is safe for
// concurrent use. On SQLite writes are serialized by the database (one
// writer at a time, readers never blocked in WAL); on PostgreSQL the
// key-result transactions of every replica take one advisory lock (see
// InTx) and the outbox is claimed with row locks (see ClaimWrites).
type Store struct {
	db  database
	log *slog.Logger

	cachePruned atomic.Int64 // unix ms of the last response-cache prune

	prepared sync.Map // query → *sqlx.Stmt prepared on db (see Tx.stmt)
}

// Open opens (creating if needed) the SQLite database file at path and
// applies the embedded migrations. It fails if the file was written by a
// newer goalpost.
func Open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	dsn := "file:" + uriPath(path) + "?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_txlock=immediate&_foreign_keys=on"
	db, err := sqlx.ConnectContext(ctx, "sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", filepath.Base(path), err)
	}
	db.SetMaxOpenConns(4)
	return open(ctx, database{DB: db, dialect: sqliteDialect}, log)
}

func open(ctx context.Context, db database, log *slog.Logger) (*Store, error) {
	s := &Store{db: db, log: log}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// uriPath escapes what a SQLite URI filename reads as syntax ('%', '?', '#'),
// so a path such as a fuzz seed's temporary directory ("seed#0") names its
// own file instead of a truncated, shared one.
func uriPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

func (s *Store) migrate(ctx context.Context) error {
	// Out of order: migration numbers are ranges given to parallel work, so
	// a database may have a later number applied before an earlier one
	// lands; each migration stands alone.
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true)}
	if s.db.dialect == postgresDialect {
		opts = append(opts, goose.WithSessionLocker(migrationLock{}))
	}
	provider, err := goose.NewProvider(s.db.dialect.goose, s.db.DB.DB, mustSub(migrations, s.db.dialect.migrations), opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		s.log.Debug("applied migration", "version", r.Source.Version, "path", r.Source.Path)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.prepared.Range(func(_, p any) bool {
		_ = p.(*sqlx.Stmt).Close()
		return true
	})
	return s.db.Close()
}

// Ping reports whether the database answers (for readiness).
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Tx is one store transaction. Its methods are the writes that must commit
// together (an event, the key-result state it changed, the writes it queued).
type Tx struct {
	st    *Store
	tx    txx
	stmts map[string]*sqlx.Stmt // q's statement bound to this transaction, by query
	// windows are the key-result windows read or moved in this transaction
	// (see KRTx.window), written back before the commit.
	windows map[string]cachedWindow
	// sources are the (key result, source, rule version) rows recorded in
	// kr_sources by this transaction (see KRTx.addSource).
	sources map[[3]string]bool
}

// stmt returns q prepared, bound to the transaction. A statement is
// prepared once per connection and kept for the store's life (database/sql
// reuses it on the transaction's connection): a batch of events runs the
// same few dozen statements, and a one-event transaction must not prepare
// them again.
func (t *Tx) stmt(ctx context.Context, q string) (*sqlx.Stmt, error) {
	if s, ok := t.stmts[q]; ok {
		return s, nil
	}
	shared, err := t.st.prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	s := t.tx.StmtxContext(ctx, shared)
	if t.stmts == nil {
		t.stmts = map[string]*sqlx.Stmt{}
	}
	t.stmts[q] = s
	return s, nil
}

func (t *Tx) closeStmts() {
	for _, s := range t.stmts {
		_ = s.Close()
	}
}

// InTx runs fn in one transaction, committing if it returns nil and rolling
// back otherwise. Nothing fn wrote is visible unless InTx returns nil.
//
// The transaction's statements do not watch ctx (see steady); InTx checks
// it before the commit, so a canceled ctx still commits nothing.
//
// On PostgreSQL the transaction first takes the key-result advisory lock
// (krLock), so that the transactions of every replica apply their events
// one after the other, as a single process would: the incremental state
// reads and then writes. If it still fails on a serialization failure or a
// deadlock it runs again, at most maxTxAttempts times in all: fn must have
// no effect outside the transaction but assignments it repeats.
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.inTx(ctx, fn)
		if err == nil || attempt == maxTxAttempts || !retryable(err) {
			return err
		}
		s.log.Debug("transaction raced another replica; retrying", "attempt", attempt, "err", err)
	}
}

// maxTxAttempts bounds InTx's runs of a transaction that races others.
const maxTxAttempts = 5

// krLock is the transaction-scoped advisory lock of key-result writes.
const krLock = `SELECT pg_advisory_xact_lock(hashtextextended('goalpost key results ' || current_schema(), 0))`

func (s *Store) inTx(ctx context.Context, fn func(*Tx) error) (err error) {
	tx, err := s.db.BeginTxx(steady(ctx), nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	t := &Tx{st: s, tx: txx{Tx: tx, db: s.db}}
	defer t.closeStmts()
	if s.db.dialect == postgresDialect {
		if _, err = t.tx.ExecContext(ctx, krLock); err != nil {
			return fmt.Errorf("key-result lock: %w", err)
		}
	}
	if err = fn(t); err != nil {
		return err
	}
	if err = t.flushWindows(ctx); err != nil {
		return err
	}
	if err = ctx.Err(); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// steady is ctx without its cancelation, for a transaction's statements:
// with a context that can be canceled, database/sql starts a goroutine per
// query's rows and go-sqlite3 one per statement to interrupt it, which
// costs more than the statement itself (a few µs) in a batch of thousands.
// A transaction's statements are short; InTx checks ctx before it commits.
func steady(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// prepare returns q prepared on the database, preparing it on first use.
func (s *Store) prepare(ctx context.Context, q string) (*sqlx.Stmt, error) {
	if p, ok := s.prepared.Load(q); ok {
		return p.(*sqlx.Stmt), nil
	}
	p, err := s.db.PreparexContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if prev, loaded := s.prepared.LoadOrStore(q, p); loaded {
		_ = p.Close()
		return prev.(*sqlx.Stmt), nil
	}
	return p, nil
}

// ErrNotFound is returned by lookups that find nothing.
var ErrNotFound = errors.New("not found")

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
