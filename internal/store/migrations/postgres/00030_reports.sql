-- +goose Up
-- PostgreSQL twin of ../00030_reports.sql.
CREATE TABLE report_snapshots (
    team       TEXT COLLATE "C" NOT NULL,
    week       TEXT COLLATE "C" NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (team, week)
);

CREATE TABLE report_deliveries (
    team         TEXT COLLATE "C" NOT NULL,
    week         TEXT COLLATE "C" NOT NULL,
    destination  TEXT COLLATE "C" NOT NULL,
    state        TEXT COLLATE "C" NOT NULL DEFAULT 'pending',
    parts_sent   INTEGER NOT NULL DEFAULT 0,
    ref          TEXT NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt BIGINT NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    started_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    sent_at      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team, week, destination)
);
CREATE INDEX report_deliveries_pending ON report_deliveries (state, next_attempt);

-- +goose Down
DROP TABLE report_deliveries;
DROP TABLE report_snapshots;
