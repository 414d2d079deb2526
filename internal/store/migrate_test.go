package store

import "testing"

// Migration 00180 moves an event's title and URL from its body to columns
// and drops the copies from its match rows, which then read them from the
// event; the sources a key result's matches came from move to kr_sources,
// and with migration 00280 the rule versions that recorded them.
func TestMigrationNormalizesMatches(t *testing.T) {
	st := oldStore(t, 110,
		`INSERT INTO events (stored_seq, id, source, kind, occurred_at, actor_handle, repo, unit, body)
			VALUES (1, 'e1', 'github', 'pull_request.merged', 1000, 'ana', 'acme/api', 'acme/api#1',
			'{"title":"Fix login","url":"https://github.com/acme/api/pull/1","labels":["perf"]}')`,
		`INSERT INTO kr_matches (kr_key, event_id, unit, source, kind, occurred_at, value, title, url, actor, rule_version)
			VALUES ('prs', 'e1', 'acme/api#1', 'github', 'pull_request.merged', 1000, NULL, 'Fix login',
			'https://github.com/acme/api/pull/1', 'p-ana', 'v1')`,
		`INSERT INTO kr_nodes (kr_key, node, grp) VALUES ('prs', 'acme/api#1', 'acme/api#1')`,
	)
	ev, err := st.Event(t.Context(), "e1")
	if err != nil {
		t.Fatal(err)
	}
	if ev.Title != "Fix login" || ev.URL != "https://github.com/acme/api/pull/1" || len(ev.Labels) != 1 {
		t.Errorf("event after migration = %+v", ev)
	}
	var body string
	if err := st.db.GetContext(t.Context(), &body, `SELECT body FROM events WHERE id = 'e1'`); err != nil || body != `{"l":["perf"]}` {
		t.Errorf("body after migration = %q, %v", body, err)
	}
	rows, err := st.KRView().Matches(t.Context(), "prs")
	if err != nil || len(rows) != 1 {
		t.Fatalf("matches = %v, %v", rows, err)
	}
	if m := rows[0]; m.Title != "Fix login" || m.Kind != "pull_request.merged" || m.ActorHandle != "ana" || m.RuleVersion != "v1" {
		t.Errorf("match after migration = %+v", m)
	}
	if has, err := st.KRView().MatchesHaveSource(t.Context(), "prs", "github"); err != nil || !has {
		t.Errorf("has github source = %v, %v", has, err)
	}
	for version, want := range map[string]bool{"v1": false, "v2": true} {
		if other, err := st.KRView().MatchedByOtherVersion(t.Context(), "prs", version); err != nil || other != want {
			t.Errorf("matched by a version other than %s = %v, %v; want %v", version, other, err, want)
		}
	}
}
