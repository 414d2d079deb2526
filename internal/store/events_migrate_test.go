package store

import (
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"github.com/goalpost/goalpost/pipeline/event"
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

// Migration 00252 renames the body's fields to one letter and drops the
// copies of the columns that bodies stored before migration 00071 kept:
// the events read back the same.
func TestMigrationShortensBodies(t *testing.T) {
	const insert = `INSERT INTO events (id, source, kind, occurred_at, actor_handle, repo, unit, title, url, issue, body) VALUES `
	st := oldStore(t, 251,
		insert+`('deploy', 'github', 'deployment.succeeded', 1000, 'bot', 'acme/api', 'acme/api:deploy:9', 'deploy', '', 0,
			'{"actor":"p-bot","links":["AUTH-1"],"labels":["perf"],"environment":"production","shas":["abc"],`+
			`"numbers":{"shipped_count":1},"attrs":{"ref":"main"},"shipped":[{"number":7,"author_handle":"ana",`+
			`"merged_at":"2026-10-01T00:00:00Z","lead_time_seconds":60}],"occurred_at":"1970-01-01T00:00:01.000000007Z"}')`,
		insert+`('old', 'jira', 'issue.completed', 2000, 'acc', 'AUTH', 'AUTH-1', 'Login', 'https://x/AUTH-1', 1,
			'{"id":"old","source":"jira","kind":"issue.completed","occurred_at":"1970-01-01T00:00:02Z","actor_handle":"acc",`+
			`"repo":"AUTH","unit":"AUTH-1","title":"Login","url":"https://x/AUTH-1","attrs":{"status_category":"done"}}')`,
	)
	deploy, err := st.Event(t.Context(), "deploy")
	if err != nil {
		t.Fatal(err)
	}
	want := event.Event{ID: "deploy", Source: "github", Kind: "deployment.succeeded", OccurredAt: time.Unix(1, 7).UTC(),
		ActorHandle: "bot", Actor: "p-bot", Repo: "acme/api", Title: "deploy", Unit: "acme/api:deploy:9", Links: []string{"AUTH-1"},
		Labels: []string{"perf"}, Environment: "production", SHAs: []string{"abc"}, Numbers: map[string]float64{"shipped_count": 1},
		Attrs: map[string]string{"ref": "main"}, Shipped: []event.ShippedChange{{Number: 7, AuthorHandle: "ana",
			MergedAt: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), LeadTimeSeconds: 60}}}
	if !reflect.DeepEqual(deploy, want) {
		t.Errorf("deploy after migration\n%+v\nwant\n%+v", deploy, want)
	}
	var body string
	if err := st.db.GetContext(t.Context(), &body, `SELECT body FROM events WHERE id = 'old'`); err != nil || body != `{"t":{"status_category":"done"}}` {
		t.Errorf("old body after migration = %q, %v", body, err)
	}
	if old, err := st.Event(t.Context(), "old"); err != nil || old.Title != "Login" || old.Attrs["status_category"] != "done" || !old.OccurredAt.Equal(time.UnixMilli(2000)) {
		t.Errorf("old event after migration = %+v, %v", old, err)
	}
}
