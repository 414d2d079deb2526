-- +goose Up
-- The events table without redundant copies (issue 13): the stored order is
-- the row's key (no separate index on it), the fields kept in columns are
-- no longer repeated in the JSON body (new rows; a reader takes the columns
-- over the body), and the (source, kind) index, which no query used, is
-- gone. PostgreSQL: stored_seq BIGINT PRIMARY KEY.
CREATE TABLE events_compact (
    stored_seq   INTEGER PRIMARY KEY, -- insertion order, for replay
    id           TEXT NOT NULL UNIQUE,
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL, -- unix milliseconds, UTC
    actor_handle TEXT NOT NULL DEFAULT '',
    repo         TEXT NOT NULL DEFAULT '',
    unit         TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL    -- the event as JSON, without the fields above
);
INSERT INTO events_compact (stored_seq, id, source, kind, occurred_at, actor_handle, repo, unit, body)
    SELECT stored_seq, id, source, kind, occurred_at, actor_handle, repo, unit, body FROM events ORDER BY stored_seq;
DROP TABLE events;
ALTER TABLE events_compact RENAME TO events;
CREATE INDEX events_occurred ON events (occurred_at, id);

-- +goose Down
CREATE TABLE events_wide (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    actor_handle TEXT NOT NULL DEFAULT '',
    repo         TEXT NOT NULL DEFAULT '',
    unit         TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL,
    stored_seq   INTEGER NOT NULL
);
INSERT INTO events_wide SELECT id, source, kind, occurred_at, actor_handle, repo, unit, body, stored_seq FROM events;
DROP TABLE events;
ALTER TABLE events_wide RENAME TO events;
CREATE INDEX events_source_kind ON events (source, kind, occurred_at);
CREATE INDEX events_occurred ON events (occurred_at, id);
CREATE UNIQUE INDEX events_seq ON events (stored_seq);
