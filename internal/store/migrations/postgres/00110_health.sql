-- +goose Up
-- PostgreSQL twin of ../00110_health.sql.
CREATE TABLE source_health (
    source        TEXT COLLATE "C" PRIMARY KEY,
    last_ok_at    BIGINT NOT NULL DEFAULT 0,
    last_error_at BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    failing       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE marks (
    name TEXT COLLATE "C" PRIMARY KEY,
    at   BIGINT NOT NULL
);

-- +goose Down
DROP TABLE marks;
DROP TABLE source_health;
