-- +goose Up
-- PostgreSQL twin of ../00001_init.sql (ADR 22): unix milliseconds are
-- BIGINT, text compares bytes (COLLATE "C", as SQLite and Go do).
CREATE TABLE events (
    id           TEXT COLLATE "C" PRIMARY KEY,
    source       TEXT COLLATE "C" NOT NULL,
    kind         TEXT COLLATE "C" NOT NULL,
    occurred_at  BIGINT NOT NULL,
    actor_handle TEXT COLLATE "C" NOT NULL DEFAULT '',
    repo         TEXT COLLATE "C" NOT NULL DEFAULT '',
    unit         TEXT COLLATE "C" NOT NULL DEFAULT '',
    body         TEXT NOT NULL,
    stored_seq   BIGINT NOT NULL
);
CREATE INDEX events_source_kind ON events (source, kind, occurred_at);
CREATE INDEX events_occurred ON events (occurred_at, id);
CREATE UNIQUE INDEX events_seq ON events (stored_seq);

CREATE TABLE cursors (
    source     TEXT COLLATE "C" NOT NULL,
    key        TEXT COLLATE "C" NOT NULL,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (source, key)
);

CREATE TABLE outbox (
    target        TEXT COLLATE "C" PRIMARY KEY,
    kr_key        TEXT COLLATE "C" NOT NULL,
    payload       TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    state         TEXT COLLATE "C" NOT NULL DEFAULT 'pending',
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    enqueued_at   BIGINT NOT NULL,
    sent_at       BIGINT NOT NULL DEFAULT 0,
    sent_payload  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (state, next_attempt);

-- +goose Down
DROP TABLE outbox;
DROP TABLE cursors;
DROP TABLE events;
