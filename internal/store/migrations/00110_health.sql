-- +goose Up
-- What `goalpost status` shows about the processes that ran against this
-- store: each source's last successful and last failed poll (written by run
-- and sync after every poll), and the last time key results were evaluated.
CREATE TABLE source_health (
    source        TEXT PRIMARY KEY,
    last_ok_at    INTEGER NOT NULL DEFAULT 0, -- unix ms, 0 when never
    last_error_at INTEGER NOT NULL DEFAULT 0, -- unix ms, 0 when never
    last_error    TEXT NOT NULL DEFAULT '',   -- the error, one line, bounded; never a secret
    failing       INTEGER NOT NULL DEFAULT 0  -- 1 when the last poll failed
);

CREATE TABLE marks (
    name TEXT PRIMARY KEY, -- "evaluated"
    at   INTEGER NOT NULL  -- unix ms
);

-- +goose Down
DROP TABLE marks;
DROP TABLE source_health;
