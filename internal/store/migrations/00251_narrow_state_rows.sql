-- +goose Up
-- Narrower derived rows (issue 13, ADR 62). issue_state is stored by its
-- key, the unit (a rowid table kept the unit twice: in the row and in the
-- key's index). A window row's time index holds the time alone: SQLite's
-- secondary index on a table without rowid carries the key (kr_key, grp)
-- anyway, and the event id, which only breaks ties between groups that last
-- matched in the same millisecond, is read from the row for those.
CREATE TABLE issue_state_keyed (
    unit            TEXT NOT NULL PRIMARY KEY,
    source          TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    occurred_at     INTEGER NOT NULL,
    status_category TEXT NOT NULL DEFAULT '',
    canceled        INTEGER NOT NULL DEFAULT 0,
    blocked         INTEGER NOT NULL DEFAULT 0,
    done_at         INTEGER NOT NULL DEFAULT 0,
    title           TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    actor           TEXT NOT NULL DEFAULT '',
    deleted         INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO issue_state_keyed (unit, source, event_id, kind, occurred_at, status_category, canceled, blocked, done_at, title, url, actor, deleted)
    SELECT unit, source, event_id, kind, occurred_at, status_category, canceled, blocked, done_at, title, url, actor, deleted FROM issue_state;
DROP TABLE issue_state;
ALTER TABLE issue_state_keyed RENAME TO issue_state;
CREATE INDEX issue_state_open_blocked ON issue_state (unit)
    WHERE blocked = 1 AND status_category != 'done' AND canceled = 0;

DROP INDEX kr_points_at;
CREATE INDEX kr_points_at ON kr_points (kr_key, at);

-- +goose Down
DROP INDEX kr_points_at;
CREATE INDEX kr_points_at ON kr_points (kr_key, at, event_id);

CREATE TABLE issue_state_rowid (
    unit            TEXT PRIMARY KEY,
    source          TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    occurred_at     INTEGER NOT NULL,
    status_category TEXT NOT NULL DEFAULT '',
    canceled        INTEGER NOT NULL DEFAULT 0,
    blocked         INTEGER NOT NULL DEFAULT 0,
    done_at         INTEGER NOT NULL DEFAULT 0,
    title           TEXT NOT NULL DEFAULT '',
    url             TEXT NOT NULL DEFAULT '',
    actor           TEXT NOT NULL DEFAULT '',
    deleted         INTEGER NOT NULL DEFAULT 0
);
INSERT INTO issue_state_rowid SELECT unit, source, event_id, kind, occurred_at, status_category, canceled, blocked, done_at, title, url, actor, deleted FROM issue_state;
DROP TABLE issue_state;
ALTER TABLE issue_state_rowid RENAME TO issue_state;
CREATE INDEX issue_state_open_blocked ON issue_state (unit)
    WHERE blocked = 1 AND status_category != 'done' AND canceled = 0;
