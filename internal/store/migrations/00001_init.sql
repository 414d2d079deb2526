-- +goose Up
CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL, -- unix milliseconds, UTC
    actor_handle TEXT NOT NULL DEFAULT '',
    repo         TEXT NOT NULL DEFAULT '',
    unit         TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL,    -- the event as JSON
    stored_seq   INTEGER NOT NULL  -- insertion order, for replay
);
CREATE INDEX events_source_kind ON events (source, kind, occurred_at);
CREATE INDEX events_occurred ON events (occurred_at, id);
CREATE UNIQUE INDEX events_seq ON events (stored_seq);

CREATE TABLE cursors (
    source     TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (source, key)
);

-- One row per writeback target: enqueueing again replaces the payload (only the
-- latest value per target is sent) and bumps seq so an in-flight send of an
-- older payload does not mark the newer one sent.
CREATE TABLE outbox (
    target        TEXT PRIMARY KEY, -- "<service>:<kind>:<id>", e.g. notion:page:abc
    kr_key        TEXT NOT NULL,
    payload       TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending', -- pending | sent | parked
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  INTEGER NOT NULL DEFAULT 0,       -- unix ms
    last_error    TEXT NOT NULL DEFAULT '',
    enqueued_at   INTEGER NOT NULL,
    sent_at       INTEGER NOT NULL DEFAULT 0,
    sent_payload  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (state, next_attempt);

-- +goose Down
DROP TABLE outbox;
DROP TABLE cursors;
DROP TABLE events;
