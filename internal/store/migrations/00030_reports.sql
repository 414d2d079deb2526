-- +goose Up
-- One frozen weekly report per team and week: the report's JSON, stored the
-- first time a report for a finished week is built (or sent), so re-running
-- it later gives the same report. The first stored body wins.
CREATE TABLE report_snapshots (
    team       TEXT NOT NULL,
    week       TEXT NOT NULL,    -- ISO week label, e.g. 2026-W47
    body       TEXT NOT NULL,    -- the report as JSON
    created_at INTEGER NOT NULL, -- unix ms
    PRIMARY KEY (team, week)
);

-- One row per (team, week, destination): written before the first part is
-- sent and updated after each part is confirmed, so that a restart resumes
-- a delivery where it stopped and never sends a confirmed part again.
CREATE TABLE report_deliveries (
    team         TEXT NOT NULL,
    week         TEXT NOT NULL,
    destination  TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending', -- pending | sent | failed
    parts_sent   INTEGER NOT NULL DEFAULT 0,      -- parts confirmed delivered
    ref          TEXT NOT NULL DEFAULT '',        -- destination's reference (Notion page id, file path)
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL DEFAULT 0,      -- unix ms
    last_error   TEXT NOT NULL DEFAULT '',
    started_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    sent_at      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team, week, destination)
);
CREATE INDEX report_deliveries_pending ON report_deliveries (state, next_attempt);

-- +goose Down
DROP TABLE report_deliveries;
DROP TABLE report_snapshots;
