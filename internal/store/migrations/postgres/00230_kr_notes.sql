-- +goose Up
-- PostgreSQL twin of ../00230_kr_notes.sql (ADR 47).
CREATE TABLE kr_notes (
    kr_key TEXT COLLATE "C" NOT NULL,
    week   TEXT COLLATE "C" NOT NULL,
    set_at BIGINT NOT NULL,
    body   TEXT NOT NULL,
    source TEXT NOT NULL,
    set_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kr_key, week, set_at)
);

-- +goose Down
DROP TABLE kr_notes;
