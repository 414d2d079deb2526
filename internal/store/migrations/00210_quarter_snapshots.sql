-- +goose Up
-- One frozen quarter report per team and quarter: final values, grades and
-- OKR scores as of the quarter's end, stored the first time the report of a
-- finished quarter is built. The first stored body wins (ADR 42).
CREATE TABLE quarter_snapshots (
    team       TEXT NOT NULL,
    quarter    TEXT NOT NULL,    -- e.g. 2026-Q4
    body       TEXT NOT NULL,    -- the quarter report as JSON
    created_at INTEGER NOT NULL, -- unix ms
    PRIMARY KEY (team, quarter)
);

-- +goose Down
DROP TABLE quarter_snapshots;
