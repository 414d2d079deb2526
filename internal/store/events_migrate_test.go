package store

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
)

// oldStore is a SQLite store migrated up to version, with rows inserted
// by the statements given, then opened (which migrates it to the latest).
func oldStore(t *testing.T, version int64, stmts ...string) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sqlx.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	provider, err := goose.NewProvider(goose.DialectSQLite3, db.DB, mustSub(migrations, "migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.UpTo(t.Context(), version); err != nil {
		t.Fatal(err)
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()
	st, err := Open(t.Context(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// Migration 00250 flags the stored events that set or delete an issue's
// state: only they are indexed by unit.
func TestMigrationFlagsIssueEvents(t *testing.T) {
	const insert = `INSERT INTO events (id, source, kind, occurred_at, unit, body) VALUES `
	st := oldStore(t, 240,
		insert+`('pr', 'github', 'pull_request.merged', 1, 'acme/api#1', '{"attrs":{"number":"1"}}')`,
		insert+`('done', 'jira', 'issue.completed', 2, 'AUTH-1', '{"attrs":{"status_category":"done"}}')`,
		insert+`('gone', 'jira', 'issue.deleted', 3, 'AUTH-1', '{"attrs":{"deleted":"true"}}')`,
		insert+`('nounit', 'jira', 'issue.updated', 4, '', '{"attrs":{"status_category":"new"}}')`,
	)
	var flagged []string
	if err := st.db.SelectContext(t.Context(), &flagged, `SELECT id FROM events WHERE issue = 1 ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(flagged) != 2 || flagged[0] != "done" || flagged[1] != "gone" {
		t.Errorf("issue events after migration = %v, want [done gone]", flagged)
	}
}
